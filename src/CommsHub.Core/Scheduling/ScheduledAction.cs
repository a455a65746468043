using CommsHub.Core.Common;

namespace CommsHub.Core.Scheduling;

public enum ScheduledActionKind { MaintenanceReminder, MaintenanceStart, MaintenanceEnd, PublishUpdate, CampaignSend }

/// <summary>
/// Something that must happen at a time. This table is the truth about what should happen when;
/// Hangfire only executes it. A job carries the action's id and the due time it was scheduled for,
/// and does nothing unless the action is still pending at that time: a moved, cancelled or already
/// fired action makes every older job a no-op, so a job that runs twice or late changes nothing.
/// </summary>
public sealed class ScheduledAction
{
    public Guid Id { get; init; } = Ids.New();
    public ScheduledActionKind Kind { get; init; }

    /// <summary>The maintenance (an incident id) or the scheduled update the action belongs to.</summary>
    public Guid TargetId { get; init; }

    public DateTimeOffset DueAt { get; set; }

    /// <summary>Reminders only: how long before the start this one goes out.</summary>
    public TimeSpan? Lead { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? FiredAt { get; set; }
    public DateTimeOffset? CancelledAt { get; set; }

    /// <summary>What the action did, or why it did nothing (a reminder whose start had passed).</summary>
    public string? Outcome { get; set; }

    /// <summary>The Hangfire job last scheduled for it; the reconciler schedules another when this one is gone.</summary>
    public string? JobId { get; set; }

    public bool IsPending => FiredAt is null && CancelledAt is null;
}
