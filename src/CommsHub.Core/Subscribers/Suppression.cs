using CommsHub.Core.Common;

namespace CommsHub.Core.Subscribers;

/// <summary>
/// An address that must never be messaged again (opted out, then erased; hard bounce). Only a keyed
/// hash of the address is kept, so erasure leaves no personal data behind.
/// </summary>
public sealed class Suppression
{
    public Guid Id { get; init; } = Ids.New();
    public Channel Channel { get; init; }
    public required string AddressHash { get; init; }
    public required string Reason { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A provider callback already applied, recorded so a replay has no second effect.</summary>
public sealed class InboundMessage
{
    public required string Provider { get; init; }
    public required string MessageId { get; init; }
    public DateTimeOffset ReceivedAt { get; init; }
}
