using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.StatusPage;
using CommsHub.Core.StatusPage.Api;
using CommsHub.Core.StatusPage.Feeds;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static CommsHub.Tests.StatusPage.StatusSeed;

namespace CommsHub.Tests.StatusPage;

/// <summary>What the loader reads out of the database for the public surface: incidents and maintenances apart.</summary>
public sealed class StatusDataLoaderTests : SqliteAppTest
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Earlier = Now.AddDays(-20);

    private async Task SeedAsync(Action<CommsHubDbContext> seed)
    {
        await using var scope = App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        seed(db);
        await db.SaveChangesAsync();
    }

    private async Task<StatusData> LoadAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await Loader(scope.ServiceProvider, Now).LoadAsync(CancellationToken.None);
    }

    private async Task<PageIndicator> ComputeAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await PageStatus.ComputeAsync(scope.ServiceProvider.GetRequiredService<CommsHubDbContext>(), CancellationToken.None);
    }

    [Fact]
    public Task A_change_committed_during_a_load_is_either_wholly_in_it_or_wholly_out() =>
        Testing.StatusSnapshotConsistency.A_change_committed_during_a_load_is_either_wholly_in_it_or_wholly_out(App.Services);

    [Fact]
    public async Task Maintenances_are_kept_apart_from_incidents_with_their_window_and_only_public_updates()
    {
        var api = Component("API", Earlier);
        var search = Component("Search", Earlier, ComponentStatus.UnderMaintenance);
        var incident = Incident("Slow logins", IncidentStatus.Identified, Impact.Minor, Now.AddHours(-2));
        var upcoming = Maintenance("Database upgrade", IncidentStatus.Scheduled, Now.AddDays(-1), Now.AddDays(3), Now.AddDays(3).AddHours(2), [api]);
        var active = Maintenance("Search reindex", IncidentStatus.InProgress, Now.AddDays(-2), Now.AddHours(-1), Now.AddHours(1), [search]);
        var completed = Maintenance("Network work", IncidentStatus.Completed, Now.AddDays(-9), Now.AddDays(-7), Now.AddDays(-7).AddHours(1), [api]);
        var cancelled = Maintenance("Disk swap", IncidentStatus.Completed, Now.AddDays(-3), Now.AddDays(2), Now.AddDays(2).AddHours(1), [api], cancelled: true);
        await SeedAsync(db => db.AddRange(api, search, incident, upcoming, active, completed, cancelled));

        var data = await LoadAsync();

        Assert.Equal([incident.Id], data.Incidents.Select(i => i.Id));
        Assert.Equal([incident.Id], data.Unresolved.Select(i => i.Id));
        // Latest window first.
        Assert.Equal([upcoming.Id, cancelled.Id, active.Id, completed.Id], data.Maintenances.Select(m => m.Id));
        var loaded = data.Maintenances.ToDictionary(m => m.Id);
        Assert.Equal((upcoming.ScheduledFor!.Value, upcoming.ScheduledUntil!.Value), (loaded[upcoming.Id].ScheduledFor, loaded[upcoming.Id].ScheduledUntil));
        Assert.Equal(cancelled.CancelledAt, loaded[cancelled.Id].CancelledAt);
        Assert.Null(loaded[completed.Id].CancelledAt);
        Assert.Equal(completed.ResolvedAt, loaded[completed.Id].Incident.ResolvedAt);
        Assert.Equal([upcoming.Id], data.UpcomingMaintenances.Select(m => m.Id));
        Assert.Equal([active.Id], data.ActiveMaintenances.Select(m => m.Id));
        // The reminders went to subscribers only: they are in no timeline.
        Assert.All(data.Maintenances, m => Assert.DoesNotContain(m.Incident.Updates, u => u.Body.StartsWith("Reminder", StringComparison.Ordinal)));
        Assert.Equal(["Announcing: Database upgrade."], loaded[upcoming.Id].Incident.Updates.Select(u => u.Body));
        Assert.Equal(["Started: Search reindex.", "Announcing: Search reindex."], loaded[active.Id].Incident.Updates.Select(u => u.Body));
        Assert.Equal(ComponentStatus.UnderMaintenance, loaded[active.Id].Incident.Updates[0].AffectedComponents.Single().NewStatus);
        // The incident documents and feeds stay incident-only; the maintenance ones have the rest.
        Assert.Single(StatuspageApi.Incidents(data)["incidents"]!.AsArray());
        Assert.DoesNotContain("Database upgrade", StatusFeeds.Atom(data), StringComparison.Ordinal);
        Assert.Equal(4, StatuspageApi.ScheduledMaintenances(data)["scheduled_maintenances"]!.AsArray().Count);
        Assert.Contains("Database upgrade", StatusFeeds.Ics(data), StringComparison.Ordinal);
        Assert.DoesNotContain("Reminder", StatuspageApi.ScheduledMaintenances(data).ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_scheduled_maintenance_leaves_the_indicator_alone_and_an_active_one_makes_it_maintenance()
    {
        var api = Component("API", Earlier);
        // Even a maintenance given an impact counts only through its components.
        var upcoming = Maintenance("Database upgrade", IncidentStatus.Scheduled, Now.AddDays(-1), Now.AddDays(3), Now.AddDays(3).AddHours(2), [api]);
        upcoming.Impact = Impact.Major;
        await SeedAsync(db => db.AddRange(api, upcoming));

        Assert.Equal("none", (await LoadAsync()).Indicator.Indicator);
        Assert.Equal("none", (await ComputeAsync()).Indicator);

        await WithDbAsync(async db =>
        {
            var maintenance = await db.Incidents.SingleAsync();
            maintenance.Status = IncidentStatus.InProgress;
            (await db.Components.SingleAsync()).Status = ComponentStatus.UnderMaintenance;
            return await db.SaveChangesAsync();
        });
        Assert.Equal("maintenance", (await LoadAsync()).Indicator.Indicator);
        Assert.Equal("maintenance", (await ComputeAsync()).Indicator);

        await SeedAsync(db => db.Add(Incident("Slow logins", IncidentStatus.Investigating, Impact.Minor, Now.AddHours(-1))));
        Assert.Equal("minor", (await LoadAsync()).Indicator.Indicator);
        Assert.Equal("minor", (await ComputeAsync()).Indicator);
    }

    [Fact]
    public async Task Completed_maintenances_and_resolved_incidents_are_closed_for_the_indicator()
    {
        var api = Component("API", Earlier);
        var done = Maintenance("Network work", IncidentStatus.Completed, Now.AddDays(-9), Now.AddDays(-7), Now.AddDays(-7).AddHours(1), [api]);
        done.Impact = Impact.Critical;
        await SeedAsync(db => db.AddRange(api, done, Incident("Old outage", IncidentStatus.Resolved, Impact.Critical, Now.AddDays(-3))));

        var data = await LoadAsync();

        Assert.Empty(data.Unresolved);
        Assert.Equal("none", data.Indicator.Indicator);
        Assert.Equal("none", (await ComputeAsync()).Indicator);
    }

    [Fact]
    public async Task Every_open_maintenance_and_the_50_latest_completed_ones_are_loaded()
    {
        var api = Component("API", Earlier.AddDays(-100));
        var completed = Enumerable.Range(1, 55)
            .Select(n => Maintenance($"Patch {n}", IncidentStatus.Completed, Now.AddDays(-n - 2), Now.AddDays(-n), Now.AddDays(-n).AddHours(1), [api]))
            .ToList();
        var open = Enumerable.Range(1, 3)
            .Select(n => Maintenance($"Upgrade {n}", IncidentStatus.Scheduled, Now.AddDays(-60), Now.AddDays(n), Now.AddDays(n).AddHours(1), [api]))
            .ToList();
        await SeedAsync(db => db.AddRange([api, .. completed, .. open]));

        var data = await LoadAsync();

        Assert.Equal([.. open.AsEnumerable().Reverse().Select(m => m.Id), .. completed.Take(50).Select(m => m.Id)], data.Maintenances.Select(m => m.Id));
        Assert.Empty(data.Incidents);
    }
}
