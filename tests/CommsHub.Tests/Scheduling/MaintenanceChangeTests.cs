using System.Net.Http.Json;
using System.Net;
using CommsHub.Core.Scheduling;
using CommsHub.Testing;

namespace CommsHub.Tests.Scheduling;

/// <summary>Rescheduling, starting or completing by hand, and cancelling: the schedule follows, and stale jobs do nothing.</summary>
public sealed class MaintenanceChangeTests : MaintenanceTest
{
    [Fact]
    public async Task A_job_for_a_window_that_moved_does_nothing()
    {
        var id = await PlanAsync();
        var oldStart = await PendingActionAsync(id, ScheduledActionKind.MaintenanceStart);
        await ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/api/maintenances/{id}", new { scheduledFor = From.AddHours(1), scheduledUntil = Until.AddHours(1) });
        var updates = (await GetAsync(id))["updates"]!.AsArray().Count;

        AdvanceTo(From);
        await RunJobAsync(oldStart.Id, oldStart.DueAt);

        var maintenance = await GetAsync(id);
        Assert.Equal("scheduled", Text(maintenance["status"]));
        Assert.Equal(updates, maintenance["updates"]!.AsArray().Count);
        Assert.Equal("operational", await ComponentStatusAsync(Operational));
    }

    [Fact]
    public async Task An_operator_starting_early_withdraws_the_start_and_reminders_but_keeps_the_end()
    {
        var id = await PlanAsync(["PT1H"]);
        var start = await PendingActionAsync(id, ScheduledActionKind.MaintenanceStart);
        AdvanceTo(T0.AddMinutes(30));
        await Admin.PostAsync($"/api/maintenances/{id}/updates", new { message = "Starting early.", status = "in_progress" });

        var started = await GetAsync(id);
        Assert.Equal("in_progress", Text(started["status"]));
        Assert.Equal("under_maintenance", await ComponentStatusAsync(Operational));
        Assert.Equal([("maintenance_end", Until, null)], Steps(started, Pending));
        Assert.Equal(["started", "started"], started["schedule"]!.AsArray().Where(s => s!["cancelledAt"] is not null).Select(s => Text(s!["outcome"])));

        AdvanceTo(From);
        await RunJobAsync(start.Id, start.DueAt);
        Assert.Equal(2, (await GetAsync(id))["updates"]!.AsArray().Count);

        await Admin.PostAsync($"/api/maintenances/{id}/updates", new { message = "All done.", status = "completed" });
        var completed = await GetAsync(id);
        Assert.Equal("completed", Text(completed["status"]));
        Assert.Equal("completed", Text(completed["schedule"]!.AsArray().Single(s => Text(s!["kind"]) == "maintenance_end")!["outcome"]));
        Assert.Equal("degraded_performance", await ComponentStatusAsync(Degraded));
        Assert.Equal("operational", await ComponentStatusAsync(Operational));
    }

    [Fact]
    public async Task Extending_a_running_maintenance_moves_its_end()
    {
        var id = await PlanAsync();
        AdvanceTo(From);
        await FireAsync(id, ScheduledActionKind.MaintenanceStart);
        var oldEnd = await PendingActionAsync(id, ScheduledActionKind.MaintenanceEnd);
        AdvanceTo(From.AddHours(1));
        var changed = await ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/api/maintenances/{id}", new { scheduledUntil = Until.AddHours(1) });

        Assert.Equal([("maintenance_end", Until.AddHours(1), null)], Steps(changed, Pending));
        Assert.Equal("in_progress", Text(changed["updates"]![0]!["status"]));
        Assert.Contains("rescheduled", Text(changed["updates"]![0]!["message"]));

        AdvanceTo(Until);
        await RunJobAsync(oldEnd.Id, oldEnd.DueAt);
        Assert.Equal("in_progress", Text((await GetAsync(id))["status"]));
        Assert.Equal("under_maintenance", await ComponentStatusAsync(Operational));

        AdvanceTo(Until.AddHours(1));
        await FireAsync(id, ScheduledActionKind.MaintenanceEnd);
        Assert.Equal("completed", Text((await GetAsync(id))["status"]));
        Assert.Equal("operational", await ComponentStatusAsync(Operational));
    }

    [Fact]
    public async Task Patching_the_same_window_tells_no_one()
    {
        var id = await PlanAsync();
        var changed = await ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/api/maintenances/{id}", new { scheduledFor = From, scheduledUntil = Until });
        Assert.Single(changed["updates"]!.AsArray());
    }

    [Fact]
    public async Task Rescheduling_moves_every_step_and_tells_subscribers_the_new_window()
    {
        var id = await PlanAsync(["PT1H"]);
        var newFrom = From.AddDays(1);
        var newUntil = Until.AddDays(1);
        var changed = await ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/api/maintenances/{id}", new { scheduledFor = newFrom, scheduledUntil = newUntil });

        Assert.Equal(newFrom, Time(changed["scheduledFor"]));
        Assert.Equal(newUntil, Time(changed["scheduledUntil"]));
        Assert.Equal(
            [("maintenance_reminder", newFrom.AddHours(-1), "PT1H"), ("maintenance_start", newFrom, null), ("maintenance_end", newUntil, null)],
            Steps(changed, Pending));
        var cancelled = changed["schedule"]!.AsArray().Where(s => s!["cancelledAt"] is not null).ToList();
        Assert.Equal(3, cancelled.Count);
        Assert.All(cancelled, s => Assert.Equal("rescheduled", Text(s!["outcome"])));
        Assert.Equal(
            [From.AddHours(-1), From, Until],
            cancelled.Select(s => Time(s!["dueAt"])).Order());

        var update = changed["updates"]!.AsArray()[0]!;
        Assert.True(update["public"]!.GetValue<bool>());
        Assert.Equal("scheduled", Text(update["status"]));
        Assert.Contains("rescheduled", Text(update["message"]));
        Assert.Contains("Wed 2 Jan 2030 12:00 UTC to Wed 2 Jan 2030 14:00 UTC", Text(update["message"]));
    }

    [Fact]
    public async Task Rescheduling_drops_a_reminder_whose_time_has_passed_for_the_new_start()
    {
        var id = await PlanAsync(["PT1H", "PT30M"]);
        AdvanceTo(T0.AddMinutes(20));
        var changed = await ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/api/maintenances/{id}", new { scheduledFor = T0.AddMinutes(70), scheduledUntil = Until });

        Assert.Equal(["PT30M"], changed["reminders"]!.AsArray().Select(Text));
        Assert.Equal(
            [("maintenance_reminder", T0.AddMinutes(40), "PT30M"), ("maintenance_start", T0.AddMinutes(70), null), ("maintenance_end", Until, null)],
            Steps(changed, Pending));
    }

    [Fact]
    public async Task A_change_that_does_not_move_the_window_tells_no_one()
    {
        var id = await PlanAsync();
        var changed = await ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/api/maintenances/{id}", new { title = "Database upgrade (v16)" });
        Assert.Equal("Database upgrade (v16)", Text(changed["title"]));
        Assert.Single(changed["updates"]!.AsArray());
        Assert.Equal(3, Steps(changed, Pending).Count);
    }

    [Fact]
    public async Task Cancelling_completes_the_maintenance_and_withdraws_its_pending_steps()
    {
        var id = await PlanAsync(["PT1H"]);
        AdvanceTo(T0.AddMinutes(10));
        var cancelled = await ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/api/maintenances/{id}/cancel", new { message = "Postponed to next week." });

        Assert.Equal("completed", Text(cancelled["status"]));
        Assert.Equal(T0.AddMinutes(10), Time(cancelled["cancelledAt"]));
        Assert.Empty(Steps(cancelled, Pending));
        Assert.All(cancelled["schedule"]!.AsArray(), s => Assert.Equal("cancelled", Text(s!["outcome"])));
        var update = cancelled["updates"]!.AsArray()[0]!;
        Assert.Equal("Postponed to next week.", Text(update["message"]));
        Assert.Equal("completed", Text(update["status"]));
        Assert.Equal([Guid.Parse(Id(cancelled))], (await Admin.GetJsonAsync("/api/maintenances?state=completed")).AsArray().Select(m => Guid.Parse(Id(m!))));

        // A job that escaped the withdrawal finds nothing to do.
        var start = (await ActionsAsync(id)).Single(a => a.Kind == ScheduledActionKind.MaintenanceStart);
        AdvanceTo(From);
        await RunJobAsync(start.Id, start.DueAt);
        Assert.Equal(2, (await GetAsync(id))["updates"]!.AsArray().Count);
        Assert.Equal("operational", await ComponentStatusAsync(Operational));
    }

    [Fact]
    public async Task Cancelling_a_running_maintenance_gives_the_components_back()
    {
        var id = await PlanAsync();
        AdvanceTo(From);
        await FireAsync(id, ScheduledActionKind.MaintenanceStart);
        var cancelled = await ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/api/maintenances/{id}/cancel", new { });

        Assert.Equal("This scheduled maintenance has been cancelled.", Text(cancelled["updates"]![0]!["message"]));
        Assert.Equal("degraded_performance", await ComponentStatusAsync(Degraded));
        Assert.Equal("operational", await ComponentStatusAsync(Operational));
    }

    [Fact]
    public async Task A_window_left_to_the_operator_can_be_extended_after_its_start_time_has_passed()
    {
        var id = await PlanAsync(reminders: [], autoTransition: false);
        AdvanceTo(From.AddMinutes(30)); // the start has passed; nobody has started it yet
        using var patch = await Admin.PatchAsJsonAsync($"/api/maintenances/{id}", new { scheduledUntil = Until.AddHours(1) });
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        var maintenance = await GetAsync(id);
        Assert.Equal(Until.AddHours(1), Time(maintenance["scheduledUntil"]));
        Assert.Equal(From, Time(maintenance["scheduledFor"]));
    }
}
