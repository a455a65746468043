using CommsHub.Core.Common;

namespace CommsHub.Core.Incidents;

/// <summary>
/// An incident, or a scheduled maintenance: Statuspage models both as incidents, and so do we, so a
/// maintenance's announcement, reminders and transitions travel the same publish path as any update.
/// </summary>
public sealed class Incident
{
    public Guid Id { get; init; } = Ids.New();
    public IncidentKind Kind { get; init; } = IncidentKind.Incident;
    public required string Title { get; set; }
    public IncidentStatus Status { get; set; } = IncidentStatus.Investigating;
    public Impact Impact { get; set; } = Impact.None;
    /// <summary>When it was published (a draft: when it was written, until it is published).</summary>
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }

    /// <summary>Components this incident affects, with the status the incident last gave each.</summary>
    public List<IncidentComponent> Components { get; init; } = [];
    public List<IncidentUpdate> Updates { get; init; } = [];

    /// <summary>Maintenance only: the announced window.</summary>
    public DateTimeOffset? ScheduledFor { get; set; }
    public DateTimeOffset? ScheduledUntil { get; set; }

    /// <summary>Maintenance only: how long before <see cref="ScheduledFor"/> each reminder goes out.</summary>
    public List<TimeSpan> Reminders { get; set; } = [];

    /// <summary>Maintenance only: start and complete on time without an operator.</summary>
    public bool AutoTransition { get; set; } = true;

    /// <summary>Maintenance only: when it was called off (its status is then <c>completed</c>).</summary>
    public DateTimeOffset? CancelledAt { get; set; }

    /// <summary>Incident only: when operators were last reminded that it has gone without a public update.</summary>
    public DateTimeOffset? OperatorRemindedAt { get; set; }

    /// <summary>
    /// Incident only: written but not published. A draft is on no public surface and sends nothing;
    /// its first update waits in <see cref="DraftUpdate"/> until it is published.
    /// </summary>
    public bool Draft { get; set; }

    /// <summary>A draft's first update, as the operator wrote it (JSON of the create request); null once published.</summary>
    public string? DraftUpdate { get; set; }

    /// <summary>Incident only: withdrawn as published in error. Gone from every public surface; kept here, with its deliveries and audit.</summary>
    public DateTimeOffset? RetractedAt { get; set; }

    /// <summary>When the title or impact was last corrected after publication.</summary>
    public DateTimeOffset? EditedAt { get; set; }

    /// <summary>Incident only: the postmortem as the operator wrote it (Markdown); null until one is published.</summary>
    public string? PostmortemBody { get; set; }

    /// <summary>When the postmortem was first published; a replaced text keeps this and moves <see cref="PostmortemUpdatedAt"/>.</summary>
    public DateTimeOffset? PostmortemPublishedAt { get; set; }

    public DateTimeOffset? PostmortemUpdatedAt { get; set; }

    /// <summary>When subscribers were last sent the postmortem; a text replaced after it is sent again only when asked.</summary>
    public DateTimeOffset? PostmortemNotifiedAt { get; set; }

    public bool IsOpen => !IsClosed(Status);

    /// <summary>On the public surfaces: neither a draft nor retracted. For queries.</summary>
    public static readonly System.Linq.Expressions.Expression<Func<Incident, bool>> IsPublic = i => !i.Draft && i.RetractedAt == null;

    public static bool IsClosed(IncidentStatus status) => status is IncidentStatus.Resolved or IncidentStatus.Postmortem or IncidentStatus.Completed;
}

public sealed class IncidentComponent
{
    public Guid IncidentId { get; init; }
    public Guid ComponentId { get; init; }
    public ComponentStatus Status { get; set; }

    /// <summary>Maintenance only: the status the component had when the window opened, given back when it closes.</summary>
    public ComponentStatus? RestoreStatus { get; set; }
}
