using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Campaigns;

/// <summary>Audiences, code pools and campaigns through the API, email sent by the real SendGrid SDK to a loopback fake.</summary>
public sealed class CampaignTests : SqliteAppTest, IDisposable
{
    private readonly SendGridFake _sendGrid = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Email:SendGrid:ApiKey"] = "SG.test-key",
        ["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url,
        ["Channels:Email:From"] = "Acme Status <status@acme.example>",
    };

    public void Dispose() => _sendGrid.Dispose();

    private async Task<JsonNode> PostCsvAsync(string path, string csv, HttpStatusCode expected = HttpStatusCode.Created)
    {
        using var response = await Admin.PostAsync(path, new StringContent(csv, Encoding.UTF8, "text/csv"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"POST {path} answered {(int)response.StatusCode}, expected {(int)expected}: {text}");
        return JsonNode.Parse(text)!;
    }

    private Task<JsonNode> CampaignAsync(string listId, string poolId) => Admin.PostAsync("/api/campaigns", new
    {
        kind = "compensation",
        title = "Sorry, {{ name }}",
        message = "Your free week: {{ code }}",
        channels = new[] { "email" },
        audience = new { listId },
        codePoolId = poolId,
    });

    [Fact]
    public async Task Audience_import_keeps_good_lines_and_reports_each_bad_one()
    {
        var result = await PostCsvAsync("/api/audiences",
            "externalId,email,phone,name,locale\nc1,Ann@Example.com,,Ann,en\nc2,not-an-email,,Bob,en\n,x@example.com,,,\nc4,,,,\n\"c5,bad@example.com\nc6,,+1 202 555 0143,Cy,en-US\n");
        Assert.Equal(2, result["count"]!.GetValue<int>());
        Assert.Equal([3, 4, 5, 6], result["rejected"]!.AsArray().Select(r => r!["line"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_code_pool_with_a_repeated_code_is_refused_whole()
    {
        var problem = await PostCsvAsync("/api/code-pools", "code\nA1\nB2\nA1\n", HttpStatusCode.BadRequest);
        Assert.Contains("line 4", problem["errors"]!.ToJsonString());
        var pool = await PostCsvAsync("/api/code-pools", "code\nA1\nB2\n");
        Assert.Equal(2, pool["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_pool_smaller_than_the_audience_is_refused_before_anything_is_sent()
    {
        var list = await PostCsvAsync("/api/audiences", "externalId,email\nc1,a@example.com\nc2,b@example.com\n");
        var pool = await PostCsvAsync("/api/code-pools", "code\nONLY1\n");
        var campaign = await CampaignAsync(list["id"]!.GetValue<string>(), pool["id"]!.GetValue<string>());
        await Admin.PostAsync($"/api/campaigns/{campaign["id"]}/send", new { }, HttpStatusCode.Conflict);
        var again = await Admin.GetJsonAsync($"/api/campaigns/{campaign["id"]}");
        Assert.Equal("draft", again["status"]!.GetValue<string>());
        Assert.Empty(_sendGrid.Requests);
    }

    [Fact]
    public async Task Each_recipient_gets_one_email_with_a_code_of_their_own_and_billing_redeems_each_code_once()
    {
        var list = await PostCsvAsync("/api/audiences", "externalId,email,name\nc1,ann@example.com,Ann\nc2,bob@example.com,Bob\nc3,cy@example.com,Cy\n");
        var pool = await PostCsvAsync("/api/code-pools", "code\nWEEK-1\nWEEK-2\nWEEK-3\nWEEK-4\n");
        var campaign = await CampaignAsync(list["id"]!.GetValue<string>(), pool["id"]!.GetValue<string>());
        var id = campaign["id"]!.GetValue<string>();
        Assert.Equal("draft", campaign["status"]!.GetValue<string>());

        var preview = await Admin.PostAsync($"/api/campaigns/{id}/preview", new { }, HttpStatusCode.OK);
        Assert.Contains(preview["email"]!["subject"]!.GetValue<string>(), new[] { "Sorry, Ann", "Sorry, Bob", "Sorry, Cy" });
        Assert.Equal("Your free week: SAMPLE-CODE", preview["email"]!["text"]!.GetValue<string>());

        await Admin.PostAsync($"/api/campaigns/{id}/send", new { }, HttpStatusCode.Accepted);
        await Eventually.HoldsAsync(async () => (await Admin.GetJsonAsync($"/api/campaigns/{id}/report"))["channels"]?["email"]?["sent"]?.GetValue<int>() == 3,
            "all three are sent");

        // One SendGrid request; each personalization carries its own subject, code and one-click unsubscribe.
        var request = Assert.Single(_sendGrid.Requests);
        var personal = request.Body["personalizations"]!.AsArray().Select(p => p!).ToList();
        Assert.Equal(["ann@example.com", "bob@example.com", "cy@example.com"], request.Recipients.Order());
        var texts = personal.Select(p => p["substitutions"]!["%personal_text%"]!.GetValue<string>()).ToList();
        Assert.Equal(3, texts.Distinct().Count());
        Assert.All(texts, t => Assert.Matches("^Your free week: WEEK-[1-4]$", t));
        Assert.All(personal, p =>
        {
            Assert.StartsWith("<https://status.test/campaigns/unsubscribe?token=", p["headers"]!["List-Unsubscribe"]!.GetValue<string>());
            Assert.Equal("List-Unsubscribe=One-Click", p["headers"]!["List-Unsubscribe-Post"]!.GetValue<string>());
        });
        var ann = personal.Single(p => p["to"]![0]!["email"]!.GetValue<string>() == "ann@example.com");
        Assert.Equal("Sorry, Ann", ann["substitutions"]!["%personal_subject%"]!.GetValue<string>());
        var annCode = ann["substitutions"]!["%personal_text%"]!.GetValue<string>()["Your free week: ".Length..];

        var report = await Admin.GetJsonAsync($"/api/campaigns/{id}/report");
        Assert.Equal(3, report["audience"]!.GetValue<int>());
        Assert.Equal(3, report["codesAssigned"]!.GetValue<int>());
        // The planner marks the campaign sent once it finds no page left, which may be after its messages went out.
        await Eventually.HoldsAsync(async () => (await Admin.GetJsonAsync($"/api/campaigns/{id}"))["status"]!.GetValue<string>() == "sent",
            "the campaign is sent");
        // Everything went out: a cancel is refused and changes nothing.
        await Admin.PostAsync($"/api/campaigns/{id}/cancel", new { }, HttpStatusCode.Conflict);
        Assert.Equal("sent", (await Admin.GetJsonAsync($"/api/campaigns/{id}"))["status"]!.GetValue<string>());

        var redeemed = await Admin.PostAsync($"/api/campaigns/{id}/redemptions", new { code = annCode }, HttpStatusCode.OK);
        Assert.Equal("c1", redeemed["recipient"]!["externalId"]!.GetValue<string>());
        await Admin.PostAsync($"/api/campaigns/{id}/redemptions", new { code = annCode }, HttpStatusCode.Conflict);
        var unsent = new[] { "WEEK-1", "WEEK-2", "WEEK-3", "WEEK-4" }.Except(texts.Select(t => t["Your free week: ".Length..])).Single();
        await Admin.PostAsync($"/api/campaigns/{id}/redemptions", new { code = unsent }, HttpStatusCode.NotFound);
        Assert.Equal(1, (await Admin.GetJsonAsync($"/api/campaigns/{id}/report"))["redeemed"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_address_that_unsubscribed_from_campaigns_is_left_out_of_the_next_one()
    {
        var list = await PostCsvAsync("/api/audiences", "externalId,email\nc1,ann@example.com\nc2,bob@example.com\n");
        var listId = list["id"]!.GetValue<string>();
        var first = await CampaignAsync(listId, (await PostCsvAsync("/api/code-pools", "code\nA\nB\n"))["id"]!.GetValue<string>());
        await Admin.PostAsync($"/api/campaigns/{first["id"]}/send", new { }, HttpStatusCode.Accepted);
        await Eventually.HoldsAsync(() => Task.FromResult(_sendGrid.Requests.Count == 1), "the first campaign is sent");
        var bob = _sendGrid.Requests[0].Body["personalizations"]!.AsArray().Single(p => p!["to"]![0]!["email"]!.GetValue<string>() == "bob@example.com")!;
        var link = bob["headers"]!["List-Unsubscribe"]!.GetValue<string>().Trim('<', '>').Replace("https://status.test", "", StringComparison.Ordinal);

        // RFC 8058: the mailbox provider POSTs List-Unsubscribe=One-Click to the link.
        using (var click = await Admin.PostAsync(link, new StringContent("List-Unsubscribe=One-Click", Encoding.UTF8, "application/x-www-form-urlencoded")))
        {
            Assert.Equal(HttpStatusCode.OK, click.StatusCode);
        }

        var second = await CampaignAsync(listId, (await PostCsvAsync("/api/code-pools", "code\nC\nD\n"))["id"]!.GetValue<string>());
        await Admin.PostAsync($"/api/campaigns/{second["id"]}/send", new { }, HttpStatusCode.Accepted);
        await Eventually.HoldsAsync(() => Task.FromResult(_sendGrid.Requests.Count == 2), "the second campaign is sent");
        Assert.Equal(["ann@example.com"], _sendGrid.Requests.Single(r => r.Recipients.Count == 1).Recipients);
        Assert.Equal(1, (await Admin.GetJsonAsync($"/api/campaigns/{second["id"]}/report"))["codesAssigned"]!.GetValue<int>());
    }

    [Fact]
    public async Task Cancelling_a_scheduled_campaign_sends_nothing()
    {
        var list = await PostCsvAsync("/api/audiences", "externalId,email\nc1,ann@example.com\n");
        var campaign = await Admin.PostAsync("/api/campaigns", new
        {
            kind = "apology", title = "Sorry", message = "We let you down, {{ name }}.", channels = new[] { "email" },
            audience = new { listId = list["id"]!.GetValue<string>() }, sendAt = DateTimeOffset.UtcNow.AddHours(1),
        });
        var sent = await Admin.PostAsync($"/api/campaigns/{campaign["id"]}/send", new { }, HttpStatusCode.Accepted);
        Assert.Equal("scheduled", sent["status"]!.GetValue<string>());
        var cancelled = await Admin.PostAsync($"/api/campaigns/{campaign["id"]}/cancel", new { }, HttpStatusCode.OK);
        Assert.Equal("cancelled", cancelled["status"]!.GetValue<string>());
        await Admin.PostAsync($"/api/campaigns/{campaign["id"]}/send", new { }, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task A_batch_still_queued_when_its_campaign_is_cancelled_fails_as_cancelled_and_sends_nothing()
    {
        var list = await PostCsvAsync("/api/audiences", "externalId,email,name\nc1,ann@example.com,Ann\n");
        var pool = await PostCsvAsync("/api/code-pools", "code\nWEEK-1\n");
        var campaign = await CampaignAsync(list["id"]!.GetValue<string>(), pool["id"]!.GetValue<string>());
        var id = Guid.Parse(campaign["id"]!.GetValue<string>());
        await Admin.PostAsync($"/api/campaigns/{id}/send", new { }, HttpStatusCode.Accepted);
        await Eventually.HoldsAsync(() => Task.FromResult(_sendGrid.Accepted.Count == 1), "the campaign email is sent");

        // What the cancel could not stop: a batch a sender held (or the planner was writing) at that moment.
        var delivery = await WithDbAsync(db => db.Deliveries.SingleAsync(d => d.UpdateId == id));
        await WithDbAsync(async db =>
        {
            await db.Campaigns.Where(c => c.Id == id).ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, Core.Campaigns.CampaignStatus.Cancelled));
            return await db.Deliveries.Where(d => d.Id == delivery.Id).ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, Core.Common.DeliveryStatus.Queued).SetProperty(d => d.LeaseToken, (Guid?)null)
                .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null).SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null));
        });

        await using (var scope = App.Services.CreateAsyncScope())
        {
            var consumer = ActivatorUtilities.CreateInstance<Core.Deliveries.SendConsumer<Contracts.SendEmailBatch, Core.Channels.Email.EmailAdapter>>(scope.ServiceProvider);
            await consumer.Consume(CommsHub.Tests.Deliveries.MessageContexts.Create(new Contracts.SendEmailBatch { UpdateId = id, Batch = delivery.Batch }, CancellationToken.None));
        }

        Assert.Single(_sendGrid.Requests);
        var after = await WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == delivery.Id));
        Assert.Equal(Core.Common.DeliveryStatus.Failed, after.Status);
        Assert.Equal("cancelled", after.LastError);
    }
}
