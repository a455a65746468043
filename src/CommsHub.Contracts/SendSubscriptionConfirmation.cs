namespace CommsHub.Contracts;

/// <summary>Send a pending subscriber its confirmation (email link, SMS asking for YES, webhook confirmation event).</summary>
public sealed record SendSubscriptionConfirmation
{
    public Guid SubscriberId { get; init; }

    /// <summary>When it was asked for: a redelivered command for a request already served sends nothing.</summary>
    public DateTimeOffset RequestedAt { get; init; }
}
