using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.Testing;
using CommsHub.Tests.Api;

namespace CommsHub.Tests.Campaigns;

/// <summary>
/// A campaign by email and SMS at once: the real SendGrid and Twilio SDKs against loopback fakes, each request read as
/// the provider would see it. A member with both gets the same code on both.
/// </summary>
public sealed class CampaignChannelTests : SqliteAppTest, IDisposable
{
    private readonly SendGridFake _sendGrid = new();
    private readonly TwilioFake _twilio = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Email:SendGrid:ApiKey"] = "SG.test-key",
        ["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url,
        ["Channels:Email:From"] = "Acme Status <status@acme.example>",
        ["Channels:Sms:Twilio:AccountSid"] = TwilioFake.AccountSid,
        ["Channels:Sms:Twilio:AuthToken"] = TwilioFake.AuthToken,
        ["Channels:Sms:Twilio:BaseUrl"] = _twilio.Url,
        ["Channels:Sms:From"] = "+15005550006",
        ["Channels:Sms:DefaultRegion"] = "US",
    };

    public void Dispose()
    {
        _sendGrid.Dispose();
        _twilio.Dispose();
    }

    private async Task<string> PostCsvAsync(string path, string csv)
    {
        using var response = await Admin.PostAsync(path, new StringContent(csv, Encoding.UTF8, "text/csv"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task A_compensation_campaign_texts_each_phone_its_code_the_same_one_its_email_carries()
    {
        var list = await PostCsvAsync("/api/audiences",
            "externalId,email,phone,name\nc1,ann@example.com,+1 202 555 0101,Ann\nc2,,(202) 555-0102,Bob\nc3,cy@example.com,,Cy\n");
        var pool = await PostCsvAsync("/api/code-pools", "code\nWEEK-1\nWEEK-2\nWEEK-3\n");
        var campaign = await Admin.PostAsync("/api/campaigns", new
        {
            kind = "compensation",
            title = "Sorry, {{ name }}",
            message = "{{ name }}, your free week: {{ code }}",
            channels = new[] { "email", "sms" },
            audience = new { listId = list },
            codePoolId = pool,
        });
        var id = campaign["id"]!.GetValue<string>();
        await Admin.PostAsync($"/api/campaigns/{id}/send", new { }, HttpStatusCode.Accepted);
        await Eventually.HoldsAsync(async () =>
        {
            var report = await Admin.GetJsonAsync($"/api/campaigns/{id}/report");
            return report["channels"]?["email"]?["sent"]?.GetValue<int>() == 2 && report["channels"]?["sms"]?["sent"]?.GetValue<int>() == 2;
        }, "two emails and two texts are sent");

        // The exact requests the Twilio SDK sent: one per phone, from the configured number, the body the member's own.
        var texts = _twilio.Requests;
        Assert.Equal(2, texts.Count);
        Assert.All(texts, t =>
        {
            Assert.Equal($"/2010-04-01/Accounts/{TwilioFake.AccountSid}/Messages.json", t.Path);
            Assert.Equal(TwilioFake.Basic(), t.Authorization);
            Assert.Equal("+15005550006", t.From);
            Assert.Null(t.MessagingServiceSid);
            Assert.Equal(["Body", "From", "To"], t.Form.Keys.Where(k => k != "StatusCallback").Order());
        });
        var ann = texts.Single(t => t.To == "+12025550101");
        var bob = texts.Single(t => t.To == "+12025550102");
        Assert.Matches("^Ann, your free week: WEEK-[1-3]$", ann.Body);
        Assert.Matches("^Bob, your free week: WEEK-[1-3]$", bob.Body);

        // Ann has both: the code in her text is the one in her email; Cy's email carries the third code.
        var emails = Assert.Single(_sendGrid.Requests).Body["personalizations"]!.AsArray()
            .ToDictionary(p => p!["to"]![0]!["email"]!.GetValue<string>(), p => p!["substitutions"]!["%personal_text%"]!.GetValue<string>());
        Assert.Equal(ann.Body, emails["ann@example.com"]);
        var codes = new[] { ann.Body!, bob.Body!, emails["cy@example.com"] }.Select(t => t[(t.LastIndexOf(' ') + 1)..]).ToList();
        Assert.Equal(["WEEK-1", "WEEK-2", "WEEK-3"], codes.Order());
        Assert.Equal(3, (await Admin.GetJsonAsync($"/api/campaigns/{id}/report"))["codesAssigned"]!.GetValue<int>());
    }
}
