using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Messaging;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Delivery;

/// <summary>
/// Nothing published is forgotten: an update whose planning never finished is planned again, and on the
/// in-memory bus (the embedded default) what the last run of the process had in flight is sent at once.
/// </summary>
public sealed class PlanningRecoveryTests : SqliteAppTest
{
    // Long enough that only the rules under test can send anything again during a test.
    protected override Dictionary<string, string?> Settings() => new() { ["Deliveries:Redrive:StuckAfter"] = "01:00:00" };

    private async Task<Guid> PublishAndWaitAsync()
    {
        await Admin.SubscribeAsync("reader@example.com");
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Search is slow", message = "Looking into it." });
        var updateId = Guid.Parse(incident["updates"]![0]!["id"]!.GetValue<string>());
        await Eventually.HoldsAsync(() => WithDbAsync(db => db.Deliveries.AnyAsync(d => d.UpdateId == updateId && d.Status == DeliveryStatus.Sandboxed)),
            "the sandboxed delivery is recorded");
        // The planner marks the update planned after it has published the send commands, so the delivery can be
        // recorded first: a test that then clears PlannedAt must not have the planner's last step set it again.
        await Eventually.HoldsAsync(() => WithDbAsync(db => db.IncidentUpdates.AnyAsync(u => u.Id == updateId && u.PlannedAt != null)),
            "the update is marked planned");
        return updateId;
    }

    [Fact]
    public async Task A_planned_update_is_marked_planned()
    {
        var updateId = await PublishAndWaitAsync();
        await Eventually.HoldsAsync(() => WithDbAsync(db => db.IncidentUpdates.AnyAsync(u => u.Id == updateId && u.PlannedAt != null)),
            "the update is marked planned");
    }

    [Fact]
    public async Task An_update_whose_event_was_lost_before_planning_is_planned_and_sent_by_the_redrive()
    {
        var updateId = await PublishAndWaitAsync();
        // As a process that died with the event in memory leaves it: the update stored, nothing planned.
        await WithDbAsync(async db =>
        {
            await db.DeliveryAttempts.Where(a => a.UpdateId == updateId).ExecuteDeleteAsync();
            await db.Deliveries.Where(d => d.UpdateId == updateId).ExecuteDeleteAsync();
            return await db.IncidentUpdates.Where(u => u.Id == updateId).ExecuteUpdateAsync(s => s
                .SetProperty(u => u.PlannedAt, (DateTimeOffset?)null).SetProperty(u => u.CreatedAt, DateTimeOffset.UtcNow.AddMinutes(-1)));
        });

        await App.Services.GetRequiredService<DeliveryRedrive>().RedriveOnceAsync(CancellationToken.None);

        await Eventually.HoldsAsync(() => WithDbAsync(db => db.Deliveries.AnyAsync(d => d.UpdateId == updateId && d.Status == DeliveryStatus.Sandboxed)),
            "the update is planned again and its delivery sent");
        await Eventually.HoldsAsync(() => WithDbAsync(db => db.IncidentUpdates.AnyAsync(u => u.Id == updateId && u.PlannedAt != null)),
            "the update is marked planned");
        Assert.Equal(1, await WithDbAsync(db => db.Deliveries.CountAsync(d => d.UpdateId == updateId)));
    }

    [Fact]
    public async Task An_update_published_a_moment_ago_is_not_planned_twice()
    {
        var updateId = await PublishAndWaitAsync();
        // Unplanned but younger than PlanAfter: its own event may still be on its way.
        await WithDbAsync(db => db.IncidentUpdates.Where(u => u.Id == updateId).ExecuteUpdateAsync(s => s
            .SetProperty(u => u.PlannedAt, (DateTimeOffset?)null).SetProperty(u => u.CreatedAt, DateTimeOffset.UtcNow)));
        await WithDbAsync(db => db.Deliveries.Where(d => d.UpdateId == updateId).ExecuteDeleteAsync());

        await App.Services.GetRequiredService<DeliveryRedrive>().RedriveOnceAsync(CancellationToken.None);

        Assert.Null(await WithDbAsync(db => db.IncidentUpdates.Where(u => u.Id == updateId).Select(u => u.PlannedAt).SingleAsync()));
    }

    [Fact]
    public async Task An_update_still_writing_its_pages_is_left_to_its_planner_and_one_that_stopped_is_planned_again()
    {
        var updateId = await PublishAndWaitAsync();
        // Published long ago and unplanned, but a page was written a moment ago: a large plan under way.
        await WithDbAsync(db => db.IncidentUpdates.Where(u => u.Id == updateId).ExecuteUpdateAsync(s => s
            .SetProperty(u => u.PlannedAt, (DateTimeOffset?)null).SetProperty(u => u.CreatedAt, DateTimeOffset.UtcNow.AddMinutes(-5))));
        await WithDbAsync(db => db.Deliveries.Where(d => d.UpdateId == updateId).ExecuteUpdateAsync(s => s.SetProperty(d => d.CreatedAt, DateTimeOffset.UtcNow)));
        var before = DateTimeOffset.UtcNow.AddSeconds(-10);
        Assert.Empty(await WithDbAsync(db => new UnplannedUpdates(db).FindAsync(before, CancellationToken.None)));

        // Its newest page is older than PlanAfter: the planner stopped, and the update is planned again.
        await WithDbAsync(db => db.Deliveries.Where(d => d.UpdateId == updateId).ExecuteUpdateAsync(s => s.SetProperty(d => d.CreatedAt, DateTimeOffset.UtcNow.AddMinutes(-1))));
        var stalled = Assert.Single(await WithDbAsync(db => new UnplannedUpdates(db).FindAsync(before, CancellationToken.None)));
        Assert.Equal(updateId, stalled.Id);
    }

    [Fact]
    public async Task On_the_in_memory_bus_a_delivery_left_queued_or_held_by_the_last_run_is_sent_at_once()
    {
        var updateId = await PublishAndWaitAsync();
        var transport = App.Services.GetRequiredService<BusTransport>();
        Assert.True(transport.InMemory);
        var lease = App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LeaseOptions>>().Value.Duration;
        // Queued by the last run a second before this one started, and claimed by it then: its command and its
        // sender are gone, though neither StuckAfter (an hour here) nor the lease has run out.
        await WithDbAsync(db => db.Deliveries.Where(d => d.UpdateId == updateId).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Status, DeliveryStatus.Queued).SetProperty(d => d.SentAt, (DateTimeOffset?)null)
            .SetProperty(d => d.CreatedAt, transport.StartedAt.AddSeconds(-1))
            .SetProperty(d => d.LeaseToken, Guid.NewGuid()).SetProperty(d => d.LeaseUntil, transport.StartedAt.AddSeconds(-1) + lease)));
        await WithDbAsync(db => db.ReopenAsync(updateId, transport.StartedAt.AddSeconds(-1)));

        // The recurring deliveries-retry job runs the same redrive every 2 seconds and may be the one that finds it
        // (then this call answers 0): either way only the in-memory rule can send it before StuckAfter and the lease.
        await App.Services.GetRequiredService<DeliveryRedrive>().RedriveOnceAsync(CancellationToken.None);

        await Eventually.HoldsAsync(() => WithDbAsync(db => db.Deliveries.AnyAsync(d => d.UpdateId == updateId && d.Status == DeliveryStatus.Sandboxed)),
            "the stranded delivery is sent again");
    }

    [Fact]
    public async Task On_the_in_memory_bus_a_delivery_held_by_this_run_is_left_to_its_sender()
    {
        var updateId = await PublishAndWaitAsync();
        var lease = App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LeaseOptions>>().Value.Duration;
        // Claimed just now, as a live sender of this process does.
        await WithDbAsync(db => db.Deliveries.Where(d => d.UpdateId == updateId).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Status, DeliveryStatus.Queued)
            .SetProperty(d => d.LeaseToken, Guid.NewGuid()).SetProperty(d => d.LeaseUntil, DateTimeOffset.UtcNow + lease)));
        await WithDbAsync(db => db.ReopenAsync(updateId, DateTimeOffset.UtcNow));

        Assert.Equal(0, await App.Services.GetRequiredService<DeliveryRedrive>().RedriveOnceAsync(CancellationToken.None));
        Assert.Equal("queued", (await WithDbAsync(db => db.Deliveries.Where(d => d.UpdateId == updateId).Select(d => d.Status).SingleAsync())).ToWire());
    }
}
