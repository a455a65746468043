using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.IntegrationTests.Campaigns;

/// <summary>
/// Follow-up campaigns on PostgreSQL + RabbitMQ, the real SendGrid and Twilio SDKs against loopback fakes: the three
/// calls an operator makes (audience, codes, campaign), the report, billing's redemptions, an unsubscribe honoured by
/// the next campaign, and a pool too small refused before anything is sent.
/// </summary>
public sealed class CampaignTests : IAsyncLifetime
{
    private readonly SendGridFake _sendGrid = new();
    private readonly TwilioFake _twilio = new();
    private Infrastructure _infra = null!;
    private CommsHubApp _app = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _infra = await Infrastructure.CreateAsync();
        var settings = _infra.Settings();
        settings["Channels:Email:SendGrid:ApiKey"] = "SG.integration";
        settings["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url;
        settings["Channels:Email:From"] = "status@acme.example";
        settings["Channels:Sms:Twilio:AccountSid"] = TwilioFake.AccountSid;
        settings["Channels:Sms:Twilio:AuthToken"] = TwilioFake.AuthToken;
        settings["Channels:Sms:Twilio:BaseUrl"] = _twilio.Url;
        settings["Channels:Sms:From"] = "+15005550006";
        settings["Channels:Sms:DefaultRegion"] = "US";
        _app = new CommsHubApp(settings);
        _admin = _app.Admin();
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
        _sendGrid.Dispose();
        _twilio.Dispose();
        await _infra.DisposeAsync();
    }

    private async Task<JsonNode> PostCsvAsync(string path, string csv)
    {
        using var response = await _admin.PostAsync(path, new StringContent(csv, Encoding.UTF8, "text/csv"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private async Task<string> CampaignAsync(string kind, string list, string? pool) => (await _admin.PostAsync("/api/campaigns", new
    {
        kind,
        title = "Sorry, {{ name }}",
        message = pool is null ? "We let you down, {{ name }}." : "Your free week: {{ code }}",
        channels = new[] { "email", "sms" },
        audience = new { listId = list },
        codePoolId = pool,
    }))["id"]!.GetValue<string>();

    private async Task SentAsync(string id, int emails, int texts) => await Eventually.HoldsAsync(async () =>
    {
        var report = await _admin.GetJsonAsync($"/api/campaigns/{id}/report");
        return (report["channels"]?["email"]?["sent"]?.GetValue<int>() ?? 0) == emails && (report["channels"]?["sms"]?["sent"]?.GetValue<int>() ?? 0) == texts
            && (await _admin.GetJsonAsync($"/api/campaigns/{id}"))["status"]!.GetValue<string>() == "sent";
    }, $"campaign {id} sends {emails} emails and {texts} texts", TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Import_send_report_redeem_and_an_unsubscribe_honoured_by_the_next_campaign()
    {
        var list = (await PostCsvAsync("/api/audiences",
            "externalId,email,phone,name\nc1,ann@example.com,+1 202 555 0101,Ann\nc2,bob@example.com,,Bob\nc3,,+1 202 555 0103,Cy\n"))["id"]!.GetValue<string>();
        var pool = (await PostCsvAsync("/api/code-pools", "code\nWEEK-1\nWEEK-2\nWEEK-3\nWEEK-4\n"))["id"]!.GetValue<string>();
        var compensation = await CampaignAsync("compensation", list, pool);
        await _admin.PostAsync($"/api/campaigns/{compensation}/send", new { }, HttpStatusCode.Accepted);
        await SentAsync(compensation, emails: 2, texts: 2);

        var report = await _admin.GetJsonAsync($"/api/campaigns/{compensation}/report");
        Assert.Equal(3, report["audience"]!.GetValue<int>());
        Assert.Equal(3, report["codesAssigned"]!.GetValue<int>());
        Assert.Equal(0, report["redeemed"]!.GetValue<int>());

        // Ann's code, the same in her email and her text; each member's code their own.
        var emails = Assert.Single(_sendGrid.Requests).Body["personalizations"]!.AsArray()
            .ToDictionary(p => p!["to"]![0]!["email"]!.GetValue<string>(), p => p!);
        var texts = _twilio.Requests.ToDictionary(t => t.To!, t => t.Body!);
        var annCode = texts["+12025550101"]["Your free week: ".Length..];
        Assert.Equal($"Your free week: {annCode}", emails["ann@example.com"]["substitutions"]!["%personal_text%"]!.GetValue<string>());
        var sent = new[] { annCode, emails["bob@example.com"]["substitutions"]!["%personal_text%"]!.GetValue<string>()["Your free week: ".Length..],
            texts["+12025550103"]["Your free week: ".Length..] };
        Assert.Equal(3, sent.Distinct().Count());

        // Billing grants the week once; a code the campaign never sent, and one that does not exist, are unknown.
        var redeemed = await _admin.PostAsync($"/api/campaigns/{compensation}/redemptions", new { code = annCode }, HttpStatusCode.OK);
        Assert.Equal("c1", redeemed["recipient"]!["externalId"]!.GetValue<string>());
        await _admin.PostAsync($"/api/campaigns/{compensation}/redemptions", new { code = annCode }, HttpStatusCode.Conflict);
        var unsent = new[] { "WEEK-1", "WEEK-2", "WEEK-3", "WEEK-4" }.Except(sent).Single();
        await _admin.PostAsync($"/api/campaigns/{compensation}/redemptions", new { code = unsent }, HttpStatusCode.NotFound);
        await _admin.PostAsync($"/api/campaigns/{compensation}/redemptions", new { code = "NO-SUCH-CODE" }, HttpStatusCode.NotFound);
        Assert.Equal(1, (await _admin.GetJsonAsync($"/api/campaigns/{compensation}/report"))["redeemed"]!.GetValue<int>());
        // The console's count, kept by the recurring job on PostgreSQL, follows the redemption within seconds.
        await Eventually.HoldsAsync(async () =>
        {
            await using var scope = _app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
            var tally = await db.Campaigns.Where(c => c.Id == Guid.Parse(compensation)).Select(c => c.Tally).SingleAsync();
            return CommsHub.Core.Campaigns.CampaignTally.Read(Guid.Parse(compensation), tally) is { Report: { Redeemed: 1, CodesAssigned: 3, Audience: 3 } } counted
                   && counted.Report.Channels["email"].GetValueOrDefault("sent") == 2 && counted.Report.Channels["sms"].GetValueOrDefault("sent") == 2
                   && counted.FreeCodes == 1;
        }, "the console's count shows the redemption", TimeSpan.FromSeconds(30));

        // Bob leaves by his mail client's one-click unsubscribe (RFC 8058): the next campaign does not write to him.
        var bob = emails["bob@example.com"]["headers"]!;
        Assert.Equal("List-Unsubscribe=One-Click", bob["List-Unsubscribe-Post"]!.GetValue<string>());
        var link = bob["List-Unsubscribe"]!.GetValue<string>().Trim('<', '>').Replace("https://status.test", "", StringComparison.Ordinal);
        using (var click = await _admin.PostAsync(link, new StringContent("List-Unsubscribe=One-Click", Encoding.UTF8, "application/x-www-form-urlencoded")))
        {
            Assert.Equal(HttpStatusCode.OK, click.StatusCode);
        }
        var apology = await CampaignAsync("apology", list, pool: null);
        await _admin.PostAsync($"/api/campaigns/{apology}/send", new { }, HttpStatusCode.Accepted);
        await SentAsync(apology, emails: 1, texts: 2);
        Assert.Equal(2, _sendGrid.Requests.Count);
        Assert.Equal(["ann@example.com"], _sendGrid.Requests[1].Recipients);
        Assert.Equal(4, _twilio.Requests.Count); // his unsubscribe was from email only: texts still reach Ann and Cy
    }

    [Fact]
    public async Task A_pool_smaller_than_the_audience_is_refused_and_nothing_is_sent()
    {
        var list = (await PostCsvAsync("/api/audiences", "externalId,email,phone\nc1,ann@example.com,+1 202 555 0101\nc2,bob@example.com,\n"))["id"]!.GetValue<string>();
        var pool = (await PostCsvAsync("/api/code-pools", "code\nONLY-1\n"))["id"]!.GetValue<string>();
        var campaign = await CampaignAsync("compensation", list, pool);

        var problem = await _admin.PostAsync($"/api/campaigns/{campaign}/send", new { }, HttpStatusCode.Conflict);
        Assert.Equal(2, problem["audience"]!.GetValue<int>());
        Assert.Equal(1, problem["freeCodes"]!.GetValue<int>());

        Assert.Equal("draft", (await _admin.GetJsonAsync($"/api/campaigns/{campaign}"))["status"]!.GetValue<string>());
        await using var scope = _app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        // Refused in the request itself: no send request was written for a planner, no code taken, no delivery made.
        Assert.Equal(0, await db.OutboxMessages.CountAsync(m => m.MessageType.EndsWith("CampaignSendRequested")));
        Assert.Equal(0, await db.CampaignCodes.CountAsync());
        Assert.Equal(0, await db.Deliveries.CountAsync());
        Assert.Empty(_sendGrid.Requests);
        Assert.Empty(_twilio.Requests);
    }
}
