using CommsHub.Core.Scheduling;
using CommsHub.Testing;

namespace CommsHub.Tests.Scheduling;

/// <summary>A maintenance's reminders, start and end, fired as Hangfire would fire them, on a fake clock.</summary>
public sealed class MaintenanceScheduleTests : MaintenanceTest
{
    [Fact]
    public async Task The_schedule_has_a_reminder_per_lead_then_the_start_and_the_end()
    {
        var id = await PlanAsync(["PT1H", "PT30M"]);
        var maintenance = await GetAsync(id);
        Assert.Equal(
            [
                ("maintenance_reminder", From.AddHours(-1), "PT1H"),
                ("maintenance_reminder", From.AddMinutes(-30), "PT30M"),
                ("maintenance_start", From, null),
                ("maintenance_end", Until, null),
            ],
            Steps(maintenance, Pending));
        Assert.Equal(["PT1H", "PT30M"], maintenance["reminders"]!.AsArray().Select(Text));
        Assert.Equal("scheduled", Text(maintenance["status"]));
        // The announcement goes out at once and is public.
        var announcement = maintenance["updates"]!.AsArray().Single()!;
        Assert.Equal("Playback will be read-only.", Text(announcement["message"]));
        Assert.True(announcement["public"]!.GetValue<bool>());
        // Each step has its Hangfire job.
        Assert.All(await ActionsAsync(id), a => Assert.NotNull(a.JobId));
    }

    [Fact]
    public async Task Without_auto_transition_only_the_reminders_are_scheduled()
    {
        var id = await PlanAsync(["PT1H"], autoTransition: false);
        var maintenance = await GetAsync(id);
        Assert.Equal([("maintenance_reminder", From.AddHours(-1), "PT1H")], Steps(maintenance, _ => true));
        Assert.False(maintenance["autoTransition"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_reminder_is_a_private_scheduled_update_that_names_its_lead()
    {
        var id = await PlanAsync(["PT1H"]);
        AdvanceTo(From.AddHours(-1));
        await FireAsync(id, ScheduledActionKind.MaintenanceReminder);

        var maintenance = await GetAsync(id);
        var reminder = maintenance["updates"]!.AsArray()[0]!;
        Assert.Equal(2, maintenance["updates"]!.AsArray().Count);
        Assert.Equal("scheduled", Text(reminder["status"]));
        Assert.False(reminder["public"]!.GetValue<bool>());
        Assert.Contains("begins in 1 hour,", Text(reminder["message"]));
        Assert.Contains("Playback will be read-only.", Text(reminder["message"]));
        Assert.Equal("scheduled", Text(maintenance["status"]));
        var step = maintenance["schedule"]!.AsArray().Single(s => Text(s!["kind"]) == "maintenance_reminder")!;
        Assert.Equal(From.AddHours(-1), Time(step["firedAt"]));
        Assert.Equal("reminder published", Text(step["outcome"]));
    }

    [Fact]
    public async Task The_start_puts_the_components_under_maintenance_and_the_end_gives_back_what_they_had()
    {
        var id = await PlanAsync();
        AdvanceTo(From);
        await FireAsync(id, ScheduledActionKind.MaintenanceStart);

        var started = await GetAsync(id);
        Assert.Equal("in_progress", Text(started["status"]));
        Assert.Equal("under_maintenance", await ComponentStatusAsync(Degraded));
        Assert.Equal("under_maintenance", await ComponentStatusAsync(Operational));
        Assert.Equal([Guid.Parse(Id(started))], (await Admin.GetJsonAsync("/api/maintenances?state=active")).AsArray().Select(m => Guid.Parse(Id(m!))));
        Assert.Empty((await Admin.GetJsonAsync("/api/maintenances?state=upcoming")).AsArray());

        AdvanceTo(Until);
        await FireAsync(id, ScheduledActionKind.MaintenanceEnd);

        var ended = await GetAsync(id);
        Assert.Equal("completed", Text(ended["status"]));
        Assert.Equal(Until, Time(ended["completedAt"]));
        Assert.Null(ended["cancelledAt"]);
        Assert.Equal(["completed", "in_progress"], ended["updates"]!.AsArray().Take(2).Select(u => Text(u!["status"])));
        Assert.Equal("degraded_performance", await ComponentStatusAsync(Degraded));
        Assert.Equal("operational", await ComponentStatusAsync(Operational));
        Assert.Empty(Steps(ended, Pending));
    }

    [Fact]
    public async Task A_component_an_incident_took_down_during_the_window_is_not_restored()
    {
        var id = await PlanAsync();
        AdvanceTo(From);
        await FireAsync(id, ScheduledActionKind.MaintenanceStart);
        AdvanceTo(From.AddMinutes(30));
        await Admin.PostAsync("/api/incidents", new
        {
            title = "Billing down", message = "Investigating", components = new[] { new { id = Operational, status = "major_outage" } },
        });

        AdvanceTo(Until);
        await FireAsync(id, ScheduledActionKind.MaintenanceEnd);

        Assert.Equal("major_outage", await ComponentStatusAsync(Operational));
        Assert.Equal("degraded_performance", await ComponentStatusAsync(Degraded));
    }

    // Fails today: MaintenanceService.CompleteAsync (lines ~256-261) gives back every component that is
    // under_maintenance, even one another maintenance still holds; the second one's start recorded
    // under_maintenance as its RestoreStatus, and its end then finds the component operational and restores nothing.
    [Fact]
    public async Task A_component_stays_under_maintenance_while_an_overlapping_maintenance_runs()
    {
        var component = await Admin.CreateComponentAsync("Streaming");
        async Task<Guid> MaintenanceAsync(DateTimeOffset from, DateTimeOffset until) => Guid.Parse(Id(await Admin.PostAsync("/api/maintenances", new
        {
            title = $"Window from {from:HH:mm}", message = "m", components = new[] { component }, scheduledFor = from, scheduledUntil = until,
        })));
        var first = await MaintenanceAsync(T0.AddHours(1), T0.AddHours(3));
        var second = await MaintenanceAsync(T0.AddHours(2), T0.AddHours(4));

        AdvanceTo(T0.AddHours(1));
        await FireAsync(first, ScheduledActionKind.MaintenanceStart);
        AdvanceTo(T0.AddHours(2));
        await FireAsync(second, ScheduledActionKind.MaintenanceStart);
        AdvanceTo(T0.AddHours(3));
        await FireAsync(first, ScheduledActionKind.MaintenanceEnd);

        Assert.Equal("in_progress", Text((await GetAsync(second))["status"]));
        Assert.Equal("under_maintenance", await ComponentStatusAsync(component));

        AdvanceTo(T0.AddHours(4));
        await FireAsync(second, ScheduledActionKind.MaintenanceEnd);
        Assert.Equal("operational", await ComponentStatusAsync(component));
    }

    [Fact]
    public async Task A_job_that_runs_twice_fires_once()
    {
        var id = await PlanAsync();
        var start = await PendingActionAsync(id, ScheduledActionKind.MaintenanceStart);
        AdvanceTo(From);
        await RunJobAsync(start.Id, start.DueAt);
        await RunJobAsync(start.Id, start.DueAt);

        var maintenance = await GetAsync(id);
        Assert.Single(maintenance["updates"]!.AsArray(), u => Text(u!["status"]) == "in_progress");
    }

    [Fact]
    public async Task An_end_that_runs_while_the_start_is_pending_fires_the_start_first()
    {
        var id = await PlanAsync([]);
        AdvanceTo(Until.AddMinutes(5));
        await FireAsync(id, ScheduledActionKind.MaintenanceEnd);

        var maintenance = await GetAsync(id);
        Assert.Equal("completed", Text(maintenance["status"]));
        var updates = maintenance["updates"]!.AsArray().Select(u => Text(u!["status"])).ToList();
        Assert.Equal(["completed", "in_progress", "scheduled"], updates);
        Assert.Equal(["started", "completed"], maintenance["schedule"]!.AsArray().Select(s => Text(s!["outcome"])));
        // The start recorded what to give back before the end gave it back.
        Assert.Equal("degraded_performance", await ComponentStatusAsync(Degraded));
    }

    [Fact]
    public async Task A_reminder_overdue_past_the_start_is_skipped_and_says_why()
    {
        var id = await PlanAsync(["PT1H"]);
        AdvanceTo(From.AddMinutes(1));
        await FireAsync(id, ScheduledActionKind.MaintenanceStart);

        var maintenance = await GetAsync(id);
        var reminder = maintenance["schedule"]!.AsArray().Single(s => Text(s!["kind"]) == "maintenance_reminder")!;
        Assert.NotNull(reminder["firedAt"]);
        Assert.Equal("skipped: the maintenance had already started", Text(reminder["outcome"]));
        Assert.DoesNotContain(maintenance["updates"]!.AsArray(), u => !u!["public"]!.GetValue<bool>());
        Assert.Equal("in_progress", Text(maintenance["status"]));
    }

    // Fails today: MaintenanceService.FireAsync (line ~216) words the reminder with its planned lead
    // (action.Lead) even when it goes out late, so a reminder sent 10 minutes before the start says "1 hour".
    [Fact]
    public async Task A_late_reminder_states_the_time_actually_left()
    {
        var id = await PlanAsync(["PT1H"]);
        AdvanceTo(From.AddMinutes(-10));
        await FireAsync(id, ScheduledActionKind.MaintenanceReminder);

        var message = Text((await GetAsync(id))["updates"]![0]!["message"]);
        Assert.Contains("begins in 10 minutes,", message);
    }
}
