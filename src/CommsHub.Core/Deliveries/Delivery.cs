using CommsHub.Core.Common;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// One message to one recipient on one channel for one update. (UpdateId, SubscriberId, Channel)
/// is unique: the database, not the code path, guarantees nothing is planned twice. A message that
/// is not an update (a confirmation, a notice to operators: <see cref="Kind"/>) is an
/// <see cref="OutboundMessage"/>, whose id stands in <see cref="UpdateId"/>.
/// </summary>
public sealed class Delivery
{
    public Guid Id { get; init; } = Ids.New();
    public Guid UpdateId { get; init; }
    public DeliveryKind Kind { get; init; } = DeliveryKind.IncidentUpdate;
    public Guid IncidentId { get; init; }
    public Guid SubscriberId { get; init; }
    public Channel Channel { get; init; }
    public required string Recipient { get; set; }
    public DeliveryStatus Status { get; set; } = DeliveryStatus.Queued;
    public string? Provider { get; set; }
    public string? ProviderMessageId { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? SentAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }

    /// <summary>What a sandboxed delivery would have sent (no provider configured): kept so it can be read back.</summary>
    public string? Rendered { get; set; }

    /// <summary>The planner's batch (one provider request) this delivery belongs to.</summary>
    public int Batch { get; init; }

    /// <summary>
    /// When a queued delivery may next be tried (after a transient failure, or a provider's
    /// Retry-After). No sender claims it before; the redrive loop re-sends its batch then.
    /// </summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>Set while a sender holds the delivery; an expired lease may be taken over.</summary>
    public Guid? LeaseToken { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }

    /// <summary>
    /// The lease this delivery was claimed from, when the claim took it from a sender whose lease had run out.
    /// Written by the claim itself (no extra write): with that sender's <see cref="InFlightMark"/> it tells
    /// whether the delivery is in doubt (its request may have left before the sender died).
    /// </summary>
    public Guid? PreviousLeaseToken { get; set; }
}
