using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Delivery;

/// <summary>The delivery report counted in the background, as the console reads it.</summary>
public sealed class DeliveryTalliesTests : SqliteAppTest
{
    private async Task<Guid> PublishToAsync(params string[] emails)
    {
        foreach (var email in emails)
        {
            await Admin.SubscribeAsync(email);
        }
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Search is slow", message = "Looking into it." });
        var updateId = Guid.Parse(incident["updates"]![0]!["id"]!.GetValue<string>());
        await Eventually.HoldsAsync(() => WithDbAsync(db => db.IncidentUpdates.AnyAsync(u => u.Id == updateId && u.PlannedAt != null)),
            "the update is planned");
        await Eventually.HoldsAsync(() => WithDbAsync(db => db.Deliveries.AllAsync(d => d.UpdateId != updateId || d.Status != DeliveryStatus.Queued)),
            "every delivery is settled");
        return updateId;
    }

    private async Task<int> RefreshAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DeliveryTallies>().RefreshAsync(CancellationToken.None);
    }

    [Fact]
    public async Task The_stored_count_is_the_live_report()
    {
        var updateId = await PublishToAsync("a@example.com", "b@example.com", "c@example.com");
        // Due again, so it is counted with everything settled (by this call, or by the recurring job running meanwhile).
        await WithDbAsync(db => db.IncidentUpdates.Where(u => u.Id == updateId).ExecuteUpdateAsync(s => s.SetProperty(u => u.TalliedAt, (DateTimeOffset?)null)));
        await RefreshAsync();
        await Eventually.HoldsAsync(() => WithDbAsync(db => db.IncidentUpdates.AnyAsync(u => u.Id == updateId && u.TalliedAt != null)), "the report is counted");

        var stored = await WithDbAsync(db => db.IncidentUpdates.Where(u => u.Id == updateId).Select(u => new { u.CreatedAt, u.Tally, u.TalliedAt }).SingleAsync());
        Assert.NotNull(stored.TalliedAt);
        var tally = DeliveryTallies.Report(updateId, stored.CreatedAt, stored.Tally)!;
        var live = (await Admin.GetJsonAsync($"/api/updates/{updateId}/report"))!;
        Assert.Equal(3, tally.Audience);
        Assert.Equal(live["audience"]!.GetValue<int>(), tally.Audience);
        Assert.Equal(3, tally.Channels[Channel.Email][DeliveryStatus.Sandboxed]);
        Assert.NotNull(tally.FirstSentAt);
    }

    [Fact]
    public async Task A_settled_update_is_not_counted_again_for_minutes_but_one_still_sending_is_within_seconds()
    {
        var updateId = await PublishToAsync("a@example.com");
        // A count taken before the delivery settled still says queued (and is due again in 2 s): wait for the settled one.
        await Eventually.HoldsAsync(() => WithDbAsync(db => db.IncidentUpdates.AnyAsync(u => u.Id == updateId && u.TalliedAt != null
            && u.Tally != null && !u.Tally.Contains("queued"))), "the settled report is counted");
        // Planned 20 s ago, counted 10 s ago with nothing queued: not due (every 5 minutes once settled).
        var tenSecondsAgo = DateTimeOffset.UtcNow.AddSeconds(-10);
        var twentySecondsAgo = DateTimeOffset.UtcNow.AddSeconds(-20);
        await WithDbAsync(db => db.IncidentUpdates.Where(u => u.Id == updateId)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.TalliedAt, tenSecondsAgo).SetProperty(u => u.PlannedAt, twentySecondsAgo)));
        Assert.Equal(0, await RefreshAsync());

        // The same age, but the last count saw a delivery queued: due again (every 2 s while sending).
        var sending = new JsonObject
        {
            ["audience"] = 1, ["channels"] = new JsonObject { ["email"] = new JsonObject { ["queued"] = 1 } }, ["tookMs"] = 1,
        }.ToJsonString();
        await WithDbAsync(db => db.IncidentUpdates.Where(u => u.Id == updateId).ExecuteUpdateAsync(s => s.SetProperty(u => u.Tally, sending)));
        await RefreshAsync();
        await Eventually.HoldsAsync(async () => !(await WithDbAsync(db => db.IncidentUpdates.Where(u => u.Id == updateId).Select(u => u.Tally).SingleAsync()))!.Contains("queued"),
            "counted again, with nothing queued");
    }

    [Fact]
    public async Task A_count_taken_before_the_audience_was_planned_is_counted_again_within_seconds()
    {
        var updateId = await PublishToAsync("a@example.com");
        // The job ran between the update's commit and its plan: an empty report, counted 10 s ago, before the plan 5 s ago.
        var empty = new JsonObject { ["audience"] = 0, ["channels"] = new JsonObject(), ["tookMs"] = 1 }.ToJsonString();
        var countedAt = DateTimeOffset.UtcNow.AddSeconds(-10);
        var plannedAt = DateTimeOffset.UtcNow.AddSeconds(-5);
        await WithDbAsync(db => db.IncidentUpdates.Where(u => u.Id == updateId).ExecuteUpdateAsync(s => s
            .SetProperty(u => u.Tally, empty).SetProperty(u => u.TalliedAt, countedAt).SetProperty(u => u.PlannedAt, plannedAt)));

        await RefreshAsync();

        await Eventually.HoldsAsync(async () =>
        {
            var stored = await WithDbAsync(db => db.IncidentUpdates.Where(u => u.Id == updateId).Select(u => new { u.CreatedAt, u.Tally }).SingleAsync());
            return DeliveryTallies.Report(updateId, stored.CreatedAt, stored.Tally)?.Audience == 1;
        }, "counted again after the plan, with its audience of one");
    }
}
