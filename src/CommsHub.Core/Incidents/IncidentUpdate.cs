using CommsHub.Core.Common;

namespace CommsHub.Core.Incidents;

public sealed class IncidentUpdate
{
    public Guid Id { get; init; } = Ids.New();
    public Guid IncidentId { get; init; }
    public IncidentStatus Status { get; init; }
    public required string Message { get; set; }

    /// <summary>When the message was last corrected; the public surfaces mark it as edited.</summary>
    public DateTimeOffset? EditedAt { get; set; }

    /// <summary>A correction sent to subscribers: the update whose text it corrects (this one is not on the public timeline).</summary>
    public Guid? CorrectionOf { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>false: the website only, no notification on any channel.</summary>
    public bool Notify { get; init; } = true;

    /// <summary>
    /// false for messages that are sent but are not part of the public timeline: maintenance
    /// reminders (the page already shows when the window opens).
    /// </summary>
    public bool Public { get; init; } = true;

    /// <summary>
    /// When its audience was planned into deliveries (every channel). Null on a notifying update means
    /// its planning never finished — the event was lost with a process or on a queue not yet bound — and
    /// the redrive publishes it again (<see cref="Deliveries.DeliveryRedrive"/>).
    /// </summary>
    public DateTimeOffset? PlannedAt { get; set; }

    /// <summary>
    /// The delivery report as last counted (JSON, <see cref="Deliveries.DeliveryTallies"/>): what the console
    /// shows, so a page never counts a fan-out of millions itself. Null until first counted.
    /// </summary>
    public string? Tally { get; set; }

    /// <summary>When <see cref="Tally"/> was counted.</summary>
    public DateTimeOffset? TalliedAt { get; set; }

    /// <summary>The channels this update goes to; empty means every configured channel.</summary>
    public List<Channel> Channels { get; init; } = [];

    /// <summary>The component status changes this update made.</summary>
    public List<ComponentChange> ComponentChanges { get; init; } = [];
}

public sealed class ComponentChange
{
    public Guid UpdateId { get; init; }
    public Guid ComponentId { get; init; }
    public ComponentStatus OldStatus { get; init; }
    public ComponentStatus NewStatus { get; init; }
}
