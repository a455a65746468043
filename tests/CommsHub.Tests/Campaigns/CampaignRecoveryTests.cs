using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.Core.Campaigns;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Campaigns;

/// <summary>
/// A campaign whose send request was lost (an error queue, a virtual host with no planner queue yet) would stay
/// <c>sending</c> for ever: the delivery redrive publishes it again once it has planned nothing for <c>PlanAfter</c>.
/// </summary>
public sealed class CampaignRecoveryTests : SqliteAppTest
{
    protected override Dictionary<string, string?> Settings() => new() { ["Deliveries:Redrive:StuckAfter"] = "01:00:00" };

    private async Task<Guid> DraftAsync(string csv)
    {
        using var response = await Admin.PostAsync("/api/audiences", new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var list = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        var campaign = await Admin.PostAsync("/api/campaigns", new
        {
            kind = "apology", title = "Sorry", message = "We let you down, {{ name }}.", channels = new[] { "email" }, audience = new { listId = list },
        });
        return Guid.Parse(campaign["id"]!.GetValue<string>());
    }

    private Task<int> StartedLostAsync(Guid id, DateTimeOffset at) => WithDbAsync(db => db.Campaigns.Where(c => c.Id == id)
        .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CampaignStatus.Sending).SetProperty(c => c.SendAt, at)));

    [Fact]
    public async Task A_campaign_left_sending_without_its_send_request_is_planned_and_sent_by_the_redrive()
    {
        var id = await DraftAsync("externalId,email,name\nc1,ann@example.com,Ann\nc2,bob@example.com,Bob\n");
        // As a lost request leaves it: sending since a minute ago, nothing planned, no message anywhere.
        await StartedLostAsync(id, DateTimeOffset.UtcNow.AddMinutes(-1));

        await App.Services.GetRequiredService<DeliveryRedrive>().RedriveOnceAsync(CancellationToken.None);

        await Eventually.HoldsAsync(async () => (await Admin.GetJsonAsync($"/api/campaigns/{id}"))["status"]!.GetValue<string>() == "sent",
            "the campaign is planned again and marked sent");
        await Eventually.HoldsAsync(async () => await WithDbAsync(db => db.Deliveries.CountAsync(d => d.UpdateId == id && d.Status == DeliveryStatus.Sandboxed)) == 2,
            "both emails are sent");
    }

    [Fact]
    public async Task A_campaign_that_started_a_moment_ago_or_planned_a_page_a_moment_ago_is_not_stalled()
    {
        var fresh = await DraftAsync("externalId,email\nc1,ann@example.com\n");
        await StartedLostAsync(fresh, DateTimeOffset.UtcNow);
        var busy = await DraftAsync("externalId,email\nc1,bob@example.com\n");
        await StartedLostAsync(busy, DateTimeOffset.UtcNow.AddMinutes(-5));
        // Its planner is still at work: its newest page was written just now.
        await WithDbAsync(async db =>
        {
            var member = await db.AudienceMembers.FirstAsync(m => m.Email == "bob@example.com");
            db.Deliveries.Add(new Core.Deliveries.Delivery
            {
                UpdateId = busy, IncidentId = Guid.Empty, SubscriberId = member.Id, Channel = Channel.Email, Recipient = "bob@example.com",
                Kind = DeliveryKind.Campaign, Batch = 1, Status = DeliveryStatus.Queued, CreatedAt = DateTimeOffset.UtcNow,
                NextAttemptAt = DateTimeOffset.UtcNow.AddHours(1),
            });
            return await db.SaveChangesAsync();
        });

        await using var scope = App.Services.CreateAsyncScope();
        var stalled = await scope.ServiceProvider.GetServices<IUnplannedWork>().OfType<StalledCampaigns>().Single()
            .FindAsync(DateTimeOffset.UtcNow.AddSeconds(-10), CancellationToken.None);

        Assert.Empty(stalled);
    }
}
