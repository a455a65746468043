using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Campaigns;

/// <summary>
/// Without provider keys a campaign is sandboxed: nothing leaves the machine, and each delivery records what its
/// recipient would have read, with their own name and code, not the placeholders of the one SendGrid request.
/// </summary>
public sealed class CampaignSandboxTests : SqliteAppTest
{
    private async Task<string> PostCsvAsync(string path, string csv)
    {
        using var response = await Admin.PostAsync(path, new StringContent(csv, Encoding.UTF8, "text/csv"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task A_sandboxed_campaign_email_records_each_recipients_own_subject_and_code()
    {
        var list = await PostCsvAsync("/api/audiences", "externalId,email,name\nc1,ann@example.com,Ann\nc2,bob@example.com,Bob\n");
        var pool = await PostCsvAsync("/api/code-pools", "code\nWEEK-1\nWEEK-2\n");
        var campaign = await Admin.PostAsync("/api/campaigns", new
        {
            kind = "compensation", title = "Sorry, {{ name }}", message = "Your free week: {{ code }}", channels = new[] { "email" },
            audience = new { listId = list }, codePoolId = pool,
        });
        var id = Guid.Parse(campaign["id"]!.GetValue<string>());
        await Admin.PostAsync($"/api/campaigns/{id}/send", new { }, HttpStatusCode.Accepted);
        await Eventually.HoldsAsync(async () => await WithDbAsync(db => db.Deliveries.CountAsync(d => d.UpdateId == id && d.Status == DeliveryStatus.Sandboxed)) == 2,
            "both emails are sandboxed");

        var deliveries = await WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.UpdateId == id).ToListAsync());
        var codes = new List<string>();
        foreach (var delivery in deliveries)
        {
            // What the console shows for the delivery (GET /api/deliveries/{id}).
            var detail = await Admin.GetJsonAsync($"/api/deliveries/{delivery.Id}");
            var rendered = detail["rendered"]!.GetValue<string>();
            Assert.DoesNotContain("%personal", rendered, StringComparison.Ordinal);
            var name = delivery.Recipient.StartsWith("ann", StringComparison.Ordinal) ? "Ann" : "Bob";
            Assert.Matches($"^Subject: Sorry, {name}\n\nYour free week: WEEK-[12]$", rendered);
            codes.Add(System.Text.RegularExpressions.Regex.Match(rendered, "WEEK-[12]").Value);
        }
        Assert.Equal(["WEEK-1", "WEEK-2"], codes.Order());
    }
}
