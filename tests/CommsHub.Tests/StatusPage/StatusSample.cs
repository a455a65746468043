using CommsHub.Core.Common;
using CommsHub.Core.StatusPage;

namespace CommsHub.Tests.StatusPage;

/// <summary>
/// A page as an operator would have it mid-incident: two groups with an ungrouped component between
/// them, an open incident with two updates that changed components, and a resolved one from last week.
/// </summary>
internal static class StatusSample
{
    public const string PageId = "x1y2z3w4v5u6";
    public const string PageUrl = "https://status.example.com";

    public static readonly Guid Api = Guid.Parse("0193a0d2-0000-7000-8000-000000000001");
    public static readonly Guid WebApp = Guid.Parse("0193a0d2-0000-7000-8000-000000000002");
    public static readonly Guid Docs = Guid.Parse("0193a0d2-0000-7000-8000-000000000003");
    public static readonly Guid Email = Guid.Parse("0193a0d2-0000-7000-8000-000000000004");
    public static readonly Guid Sms = Guid.Parse("0193a0d2-0000-7000-8000-000000000005");

    public static readonly Guid OpenIncident = Guid.Parse("0193a0d2-0000-7000-8000-0000000000a1");
    public static readonly Guid ResolvedIncident = Guid.Parse("0193a0d2-0000-7000-8000-0000000000b1");

    public static readonly DateTimeOffset Created = new(2026, 1, 12, 9, 30, 0, 123, TimeSpan.Zero);
    public static readonly DateTimeOffset Opened = new(2026, 11, 27, 21, 5, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset Identified = new(2026, 11, 27, 21, 30, 0, 250, TimeSpan.Zero);
    public static readonly DateTimeOffset LastWeek = new(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);

    public static StatusData Data(IReadOnlyList<IncidentData>? incidents = null)
    {
        var components = Components();
        incidents ??= [Open(), Resolved()];
        return new StatusData(
            new PageInfo(PageId, "Acme", PageUrl, "Etc/UTC", null, Identified),
            PageStatus.From(incidents.Where(i => i.ResolvedAt is null).Select(i => i.Impact), components.Select(c => c.Status)),
            components, incidents, Identified.AddSeconds(1));
    }

    public static IReadOnlyList<ComponentData> Components() =>
    [
        // Deliberately not in position order: the API must sort.
        Component(Email, "Email delivery", "Notifications", ComponentStatus.Operational, 4, LastWeek.AddMinutes(70)),
        Component(Api, "API", "Core platform", ComponentStatus.PartialOutage, 1, Opened),
        Component(Docs, "Documentation", null, ComponentStatus.Operational, 3, Created) with { Description = null },
        Component(WebApp, "Web app", "Core platform", ComponentStatus.DegradedPerformance, 2, Opened),
        Component(Sms, "SMS delivery", "Notifications", ComponentStatus.UnderMaintenance, 5, Created.AddDays(3)),
    ];

    public static IncidentData Open() => new(
        OpenIncident, "Elevated API error rates", IncidentStatus.Identified, Impact.Major,
        Opened, Identified, null, null, $"{PageUrl}/incidents/{OpenIncident}",
        [
            new IncidentUpdateData(Guid.Parse("0193a0d2-0000-7000-8000-0000000000a3"), IncidentStatus.Identified,
                "A faulty configuration push is being rolled back; <b>no data</b> was lost & writes are queued.", Identified, []),
            new IncidentUpdateData(Guid.Parse("0193a0d2-0000-7000-8000-0000000000a2"), IncidentStatus.Investigating,
                "We are investigating elevated error rates on the API.\nThe web app is slow as a result.", Opened,
                [
                    new ComponentChangeData(Api, "API", ComponentStatus.Operational, ComponentStatus.PartialOutage),
                    new ComponentChangeData(WebApp, "Web app", ComponentStatus.Operational, ComponentStatus.DegradedPerformance),
                ]),
        ],
        [
            new AffectedComponent(Api, "API", ComponentStatus.PartialOutage),
            new AffectedComponent(WebApp, "Web app", ComponentStatus.DegradedPerformance),
        ]);

    public static IncidentData Resolved() => new(
        ResolvedIncident, "Delayed email notifications", IncidentStatus.Resolved, Impact.Minor,
        LastWeek, LastWeek.AddMinutes(70), LastWeek.AddMinutes(40), LastWeek.AddMinutes(70), $"{PageUrl}/incidents/{ResolvedIncident}",
        [
            new IncidentUpdateData(Guid.Parse("0193a0d2-0000-7000-8000-0000000000b4"), IncidentStatus.Resolved,
                "Email delivery is back to normal.", LastWeek.AddMinutes(70),
                [new ComponentChangeData(Email, "Email delivery", ComponentStatus.DegradedPerformance, ComponentStatus.Operational)]),
            new IncidentUpdateData(Guid.Parse("0193a0d2-0000-7000-8000-0000000000b3"), IncidentStatus.Monitoring,
                "A fix is in place; we are watching the queue drain.", LastWeek.AddMinutes(40), []),
            new IncidentUpdateData(Guid.Parse("0193a0d2-0000-7000-8000-0000000000b2"), IncidentStatus.Investigating,
                "Emails are delayed by up to 20 minutes.", LastWeek,
                [new ComponentChangeData(Email, "Email delivery", ComponentStatus.Operational, ComponentStatus.DegradedPerformance)]),
        ],
        [new AffectedComponent(Email, "Email delivery", ComponentStatus.Operational)]);

    /// <summary>A long history: incident n was opened n hours before the open incident; newest first.</summary>
    public static IReadOnlyList<IncidentData> History(int count) =>
    [
        .. Enumerable.Range(1, count).Select(n =>
        {
            var id = Guid.Parse($"0193a0d2-0000-7000-8000-{n:D12}");
            var at = Opened.AddHours(-n);
            return new IncidentData(id, $"Incident {n}", IncidentStatus.Resolved, Impact.Minor, at, at.AddMinutes(10), null,
                at.AddMinutes(10), $"{PageUrl}/incidents/{id}",
                [new IncidentUpdateData(Guid.NewGuid(), IncidentStatus.Resolved, "Fixed.", at.AddMinutes(10), [])], []);
        }),
    ];

    /// <summary>Feeds and calendars carry whole seconds (RFC 3339 as the syndication writers emit it, RFC 5545 DATE-TIME).</summary>
    public static DateTimeOffset Seconds(DateTimeOffset time) => time.AddTicks(-(time.Ticks % TimeSpan.TicksPerSecond));

    private static ComponentData Component(Guid id, string name, string? group, ComponentStatus status, int position, DateTimeOffset updated) =>
        new(id, name, $"{name} for customers", group, status, position, Created, updated, []);
}
