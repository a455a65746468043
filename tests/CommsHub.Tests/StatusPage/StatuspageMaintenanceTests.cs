using System.Text.Json;
using System.Text.Json.Nodes;
using CommsHub.Core.StatusPage;
using CommsHub.Core.StatusPage.Api;
using static CommsHub.Tests.StatusPage.StatuspageShapes;

namespace CommsHub.Tests.StatusPage;

/// <summary>Statuspage's scheduled-maintenance documents and the maintenances in summary.json.</summary>
public sealed class StatuspageMaintenanceTests
{
    private static readonly StatusData Sample = MaintenanceSample.Data();

    private static JsonElement Read(JsonObject document) => JsonDocument.Parse(document.ToJsonString()).RootElement;

    private static List<JsonElement> Maintenances(JsonObject document) =>
        [.. Array(Read(document), "scheduled_maintenances").EnumerateArray()];

    private static List<string> Ids(JsonObject document) => [.. Maintenances(document).Select(m => String(m, "id"))];

    [Fact]
    public void Every_maintenance_has_statuspages_fields_in_statuspages_order_types_and_values()
    {
        var maintenances = Maintenances(StatuspageApi.ScheduledMaintenances(Sample));

        Assert.Equal(5, maintenances.Count);
        foreach (var maintenance in maintenances)
        {
            Assert.Equal(MaintenanceKeys, maintenance.EnumerateObject().Select(p => p.Name));
            var id = String(maintenance, "id");
            OneOf(MaintenanceStatuses, String(maintenance, "status"));
            Assert.Equal("maintenance", String(maintenance, "impact"));
            Assert.Null(NullableTime(maintenance, "monitoring_at"));
            Assert.Equal(Time(maintenance, "created_at"), Time(maintenance, "started_at"));
            Assert.True(Time(maintenance, "scheduled_for") < Time(maintenance, "scheduled_until"));
            Assert.Equal(StatusSample.PageId, String(maintenance, "page_id"));
            Assert.Equal($"{StatusSample.PageUrl}/incidents/{id}", String(maintenance, "shortlink"));
            Assert.NotEqual(0, Array(maintenance, "incident_updates").GetArrayLength());
            foreach (var update in Array(maintenance, "incident_updates").EnumerateArray())
            {
                HasExactly(update, UpdateKeys);
                OneOf(MaintenanceStatuses, String(update, "status"));
                Assert.Equal(id, String(update, "incident_id"));
            }
            foreach (var component in Array(maintenance, "components").EnumerateArray())
            {
                HasExactly(component, ComponentKeys);
            }
        }
    }

    [Fact]
    public void An_upcoming_maintenance_reads_as_statuspage_would_show_it()
    {
        var maintenance = Maintenances(StatuspageApi.UpcomingMaintenances(Sample))[0];

        Assert.Equal(MaintenanceSample.Upcoming.ToString(), String(maintenance, "id"));
        Assert.Equal("Database upgrade", String(maintenance, "name"));
        Assert.Equal("scheduled", String(maintenance, "status"));
        Assert.Equal("2026-12-05T22:00:00.000Z", String(maintenance, "scheduled_for"));
        Assert.Equal("2026-12-06T00:30:00.000Z", String(maintenance, "scheduled_until"));
        Assert.Null(NullableTime(maintenance, "resolved_at"));
        var update = Assert.Single(Array(maintenance, "incident_updates").EnumerateArray());
        Assert.Equal("We will upgrade the primary database.", String(update, "body"));
        Assert.Equal(JsonValueKind.Null, update.GetProperty("affected_components").ValueKind);
        // The affected component is the page's own component object, with its current status.
        var component = Assert.Single(Array(maintenance, "components").EnumerateArray());
        Assert.Equal(StatusSample.Api.ToString(), String(component, "id"));
        Assert.Equal("partial_outage", String(component, "status"));
    }

    [Fact]
    public void An_active_maintenance_shows_its_components_going_under_maintenance()
    {
        var maintenance = Assert.Single(Maintenances(StatuspageApi.ActiveMaintenances(Sample)));

        Assert.Equal("in_progress", String(maintenance, "status"));
        var updates = Array(maintenance, "incident_updates").EnumerateArray().ToList();
        Assert.Equal(["in_progress", "scheduled"], updates.Select(u => String(u, "status")));
        var change = Assert.Single(Array(updates[0], "affected_components").EnumerateArray());
        Assert.Equal(StatusSample.Sms.ToString(), String(change, "code"));
        Assert.Equal("operational", String(change, "old_status"));
        Assert.Equal("under_maintenance", String(change, "new_status"));
    }

    [Fact]
    public void A_completed_maintenance_has_its_completion_as_resolved_at()
    {
        var maintenance = Maintenances(StatuspageApi.ScheduledMaintenances(Sample))
            .Single(m => String(m, "id") == MaintenanceSample.Completed.ToString());

        Assert.Equal("completed", String(maintenance, "status"));
        Assert.Equal(StatusSample.LastWeek.AddHours(2), Time(maintenance, "resolved_at"));
    }

    [Fact]
    public void Upcoming_lists_only_scheduled_windows_soonest_first()
    {
        Assert.Equal([MaintenanceSample.Upcoming.ToString(), MaintenanceSample.LaterUpcoming.ToString()], Ids(StatuspageApi.UpcomingMaintenances(Sample)));
    }

    [Fact]
    public void Active_lists_in_progress_and_verifying_windows_only()
    {
        var verifying = MaintenanceSample.Active() with
        {
            Incident = MaintenanceSample.Active().Incident with { Id = Guid.Parse("0193a0d2-0000-7000-8000-0000000000d2"), Status = Core.Common.IncidentStatus.Verifying },
            ScheduledFor = MaintenanceSample.Started.AddHours(-1),
        };
        var data = Sample with { Maintenances = [.. Sample.Maintenances, verifying] };

        Assert.Equal([verifying.Id.ToString(), MaintenanceSample.InProgress.ToString()], Ids(StatuspageApi.ActiveMaintenances(data)));
    }

    [Fact]
    public void The_full_list_has_every_state_latest_window_first()
    {
        Assert.Equal(
            [MaintenanceSample.LaterUpcoming, MaintenanceSample.Cancelled, MaintenanceSample.Upcoming, MaintenanceSample.InProgress, MaintenanceSample.Completed],
            Ids(StatuspageApi.ScheduledMaintenances(Sample)).Select(Guid.Parse));
    }

    [Fact]
    public void The_full_list_stops_at_the_50_most_recent()
    {
        var many = Enumerable.Range(1, 60).Select(n => MaintenanceSample.Done() with
        {
            Incident = MaintenanceSample.Done().Incident with { Id = Guid.Parse($"0193a0d2-0000-7000-8001-{n:D12}") },
            ScheduledFor = StatusSample.LastWeek.AddDays(-n),
        }).ToList();

        var ids = Ids(StatuspageApi.ScheduledMaintenances(Sample with { Maintenances = many }));

        Assert.Equal(many.Take(50).Select(m => m.Id.ToString()), ids);
    }

    [Fact]
    public void Summary_lists_active_then_upcoming_maintenances_and_not_completed_ones()
    {
        var summary = Read(StatuspageApi.Summary(Sample));

        Assert.Equal(
            [MaintenanceSample.InProgress.ToString(), MaintenanceSample.Upcoming.ToString(), MaintenanceSample.LaterUpcoming.ToString()],
            Array(summary, "scheduled_maintenances").EnumerateArray().Select(m => String(m, "id")));
        Assert.All(Array(summary, "scheduled_maintenances").EnumerateArray(), m => Assert.Equal(MaintenanceKeys, m.EnumerateObject().Select(p => p.Name)));
        // Maintenances are never incidents.
        Assert.Equal([StatusSample.OpenIncident.ToString()], Array(summary, "incidents").EnumerateArray().Select(i => String(i, "id")));
        Assert.Equal(2, Array(Read(StatuspageApi.Incidents(Sample)), "incidents").GetArrayLength());
    }
}
