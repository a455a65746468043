using CommsHub.Core.Common;
using CommsHub.Core.StatusPage;
using static CommsHub.Tests.StatusPage.StatusSample;

namespace CommsHub.Tests.StatusPage;

/// <summary>
/// The sample page with one maintenance in each state: two upcoming (the later one announced first),
/// one in progress on the SMS component, one completed last week and one cancelled.
/// </summary>
internal static class MaintenanceSample
{
    public static readonly Guid Upcoming = Guid.Parse("0193a0d2-0000-7000-8000-0000000000c1");
    public static readonly Guid LaterUpcoming = Guid.Parse("0193a0d2-0000-7000-8000-0000000000c2");
    public static readonly Guid InProgress = Guid.Parse("0193a0d2-0000-7000-8000-0000000000d1");
    public static readonly Guid Completed = Guid.Parse("0193a0d2-0000-7000-8000-0000000000e1");
    public static readonly Guid Cancelled = Guid.Parse("0193a0d2-0000-7000-8000-0000000000f1");

    public static readonly DateTimeOffset Announced = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset UpcomingFrom = new(2026, 12, 5, 22, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset UpcomingUntil = new(2026, 12, 6, 0, 30, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset Started = new(2026, 11, 27, 20, 0, 0, TimeSpan.Zero);

    public static StatusData Data() => StatusSample.Data() with { Maintenances = All() };

    /// <summary>As the loader orders them: latest window first.</summary>
    public static IReadOnlyList<MaintenanceData> All() =>
        [.. new[] { Later(), Next(), Active(), Done(), CalledOff() }.OrderByDescending(m => m.ScheduledFor)];

    public static MaintenanceData Next() => new(
        Incident(Upcoming, "Database upgrade", IncidentStatus.Scheduled, Announced.AddHours(2), null,
            [Update(0x11, IncidentStatus.Scheduled, "We will upgrade the primary database.", Announced.AddHours(2))],
            [new AffectedComponent(StatusSample.Api, "API", ComponentStatus.Operational)]),
        UpcomingFrom, UpcomingUntil, null);

    public static MaintenanceData Later() => new(
        Incident(LaterUpcoming, "Network maintenance", IncidentStatus.Scheduled, Announced, null,
            [Update(0x21, IncidentStatus.Scheduled, "Our provider is replacing a router.", Announced)],
            [new AffectedComponent(WebApp, "Web app", ComponentStatus.Operational)]),
        UpcomingFrom.AddDays(7), UpcomingUntil.AddDays(7), null);

    public static MaintenanceData Active() => new(
        Incident(InProgress, "SMS provider migration", IncidentStatus.InProgress, Started, null,
        [
            Update(0x32, IncidentStatus.InProgress, "The migration has begun.", Started,
                [new ComponentChangeData(StatusSample.Sms, "SMS delivery", ComponentStatus.Operational, ComponentStatus.UnderMaintenance)]),
            Update(0x31, IncidentStatus.Scheduled, "We are moving to a new SMS provider.", Announced),
        ],
            [new AffectedComponent(StatusSample.Sms, "SMS delivery", ComponentStatus.UnderMaintenance)]) with { CreatedAt = Announced },
        Started, Started.AddHours(4), null);

    public static MaintenanceData Done() => new(
        Incident(Completed, "Email relay patching", IncidentStatus.Completed, LastWeek.AddHours(2), LastWeek.AddHours(2),
        [
            Update(0x43, IncidentStatus.Completed, "The maintenance is complete.", LastWeek.AddHours(2)),
            Update(0x42, IncidentStatus.InProgress, "Patching now.", LastWeek),
            Update(0x41, IncidentStatus.Scheduled, "We will patch the email relays.", LastWeek.AddDays(-3)),
        ],
            [new AffectedComponent(Email, "Email delivery", ComponentStatus.Operational)]) with { CreatedAt = LastWeek.AddDays(-3) },
        LastWeek, LastWeek.AddHours(2), null);

    public static MaintenanceData CalledOff() => new(
        Incident(Cancelled, "Search reindex", IncidentStatus.Completed, Announced.AddHours(5), Announced.AddHours(5),
        [
            Update(0x52, IncidentStatus.Completed, "This maintenance has been cancelled.", Announced.AddHours(5)),
            Update(0x51, IncidentStatus.Scheduled, "We will rebuild the search index.", Announced.AddHours(1)),
        ],
            [new AffectedComponent(Docs, "Documentation", ComponentStatus.Operational)]) with { CreatedAt = Announced.AddHours(1) },
        UpcomingFrom.AddDays(1), UpcomingUntil.AddDays(1), Announced.AddHours(5));

    private static IncidentData Incident(Guid id, string title, IncidentStatus status, DateTimeOffset updatedAt, DateTimeOffset? resolvedAt,
        IReadOnlyList<IncidentUpdateData> updates, IReadOnlyList<AffectedComponent> components) =>
        new(id, title, status, Impact.None, updatedAt, updatedAt, null, resolvedAt, $"{PageUrl}/incidents/{id}", updates, components);

    private static IncidentUpdateData Update(int n, IncidentStatus status, string body, DateTimeOffset at, IReadOnlyList<ComponentChangeData>? changes = null) =>
        new(Guid.Parse($"0193a0d2-0000-7000-8000-{n:x12}"), status, body, at, changes ?? []);
}
