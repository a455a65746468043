using CommsHub.Core.Common;
using CommsHub.Core.Incidents;

namespace CommsHub.Core.StatusPage;

/// <summary>
/// Everything the public surface shows, read from the database in one go when something changes.
/// The pages, Statuspage's API v2 JSON and the feeds are all rendered from this, never from a
/// query per request.
/// </summary>
public sealed record StatusData(
    PageInfo Page,
    PageIndicator Indicator,
    IReadOnlyList<ComponentData> Components,
    IReadOnlyList<IncidentData> Incidents,
    DateTimeOffset GeneratedAt)
{
    /// <summary>
    /// Every maintenance not yet completed, and the most recently scheduled completed ones; latest
    /// window first. Kept apart from <see cref="Incidents"/>, as Statuspage does, so the incident
    /// history, <c>incidents.json</c> and the feeds list incidents only.
    /// </summary>
    public IReadOnlyList<MaintenanceData> Maintenances { get; init; } = [];

    public IEnumerable<IncidentData> Unresolved => Incidents.Where(i => !Incident.IsClosed(i.Status));

    /// <summary>Windows open now (<c>in_progress</c> or <c>verifying</c>), earliest first.</summary>
    public IEnumerable<MaintenanceData> ActiveMaintenances => Maintenances.Where(m => m.IsActive).OrderBy(m => m.ScheduledFor).ThenBy(m => m.Id);

    /// <summary>Windows still <c>scheduled</c>, soonest first.</summary>
    public IEnumerable<MaintenanceData> UpcomingMaintenances => Maintenances.Where(m => m.IsUpcoming).OrderBy(m => m.ScheduledFor).ThenBy(m => m.Id);
}

/// <param name="Id">A stable page id (Statuspage's <c>page.id</c>).</param>
/// <param name="TimeZone">IANA time zone used to show times on the website (Statuspage's <c>time_zone</c>).</param>
public sealed record PageInfo(string Id, string Name, string Url, string TimeZone, string? LogoUrl, DateTimeOffset UpdatedAt);

public sealed record ComponentData(
    Guid Id, string Name, string? Description, string? Group, ComponentStatus Status, int Position,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyList<DayUptime> Uptime);

/// <summary>One day of a component's 90-day bar: the share of the day it was operational, and its worst status.</summary>
public sealed record DayUptime(DateOnly Day, double Operational, ComponentStatus Worst);

/// <param name="Updates">Newest first.</param>
public sealed record IncidentData(
    Guid Id, string Title, IncidentStatus Status, Impact Impact,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? MonitoringAt, DateTimeOffset? ResolvedAt,
    string Shortlink, IReadOnlyList<IncidentUpdateData> Updates, IReadOnlyList<AffectedComponent> Components)
{
    /// <summary>When the title or impact was corrected after publication.</summary>
    public DateTimeOffset? EditedAt { get; init; }

    /// <summary>Null until one is published.</summary>
    public PostmortemData? Postmortem { get; init; }
}

/// <param name="Body">The Markdown as written.</param>
/// <param name="Html">Rendered and sanitised: safe to put on a page as it is.</param>
/// <param name="NotifiedAt">When subscribers were last sent it.</param>
public sealed record PostmortemData(string Body, string Html, DateTimeOffset PublishedAt, DateTimeOffset UpdatedAt, DateTimeOffset? NotifiedAt);

public sealed record IncidentUpdateData(Guid Id, IncidentStatus Status, string Body, DateTimeOffset CreatedAt, IReadOnlyList<ComponentChangeData> AffectedComponents)
{
    /// <summary>When the text was corrected: the public surfaces show it marked as edited.</summary>
    public DateTimeOffset? EditedAt { get; init; }
}

public sealed record ComponentChangeData(Guid Id, string Name, ComponentStatus OldStatus, ComponentStatus NewStatus);

public sealed record AffectedComponent(Guid Id, string Name, ComponentStatus Status);

/// <summary>
/// A scheduled maintenance: Statuspage's incident object (its updates are public ones only: reminders
/// are not part of the timeline) plus the announced window.
/// </summary>
/// <param name="CancelledAt">Set when it was called off; its status is then <c>completed</c>.</param>
public sealed record MaintenanceData(IncidentData Incident, DateTimeOffset ScheduledFor, DateTimeOffset ScheduledUntil, DateTimeOffset? CancelledAt)
{
    public Guid Id => Incident.Id;

    public IncidentStatus Status => Incident.Status;

    public bool IsUpcoming => Status == IncidentStatus.Scheduled;

    public bool IsActive => Status is IncidentStatus.InProgress or IncidentStatus.Verifying;
}
