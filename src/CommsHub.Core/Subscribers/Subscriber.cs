using CommsHub.Core.Common;

namespace CommsHub.Core.Subscribers;

public sealed class Subscriber
{
    public Guid Id { get; init; } = Ids.New();
    public Channel Channel { get; init; }

    /// <summary>Email address (lower-cased), E.164 phone number or webhook URL.</summary>
    public required string Address { get; set; }
    public SubscriberStatus Status { get; set; } = SubscriberStatus.Pending;
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ConfirmedAt { get; set; }
    public DateTimeOffset? UnsubscribedAt { get; set; }

    /// <summary>When a confirmation was last asked for: throttles repeated requests for the same address.</summary>
    public DateTimeOffset? ConfirmationRequestedAt { get; set; }

    /// <summary>When the last confirmation message went out: a redelivered command does not send it twice.</summary>
    public DateTimeOffset? ConfirmationSentAt { get; set; }

    /// <summary>Confirmation messages sent since <see cref="ConfirmationWindowStart"/> (a daily cap: SMS costs money).</summary>
    public int ConfirmationsInWindow { get; set; }
    public DateTimeOffset? ConfirmationWindowStart { get; set; }

    /// <summary>A webhook subscriber's whsec_ signing secret, encrypted with Data Protection.</summary>
    public string? ProtectedSecret { get; set; }

    /// <summary>Empty: every component.</summary>
    public List<SubscriberComponent> Components { get; init; } = [];
}

public sealed class SubscriberComponent
{
    public Guid SubscriberId { get; init; }
    public Guid ComponentId { get; init; }
}
