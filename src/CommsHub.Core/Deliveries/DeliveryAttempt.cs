using CommsHub.Core.Common;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// One try of one delivery: when, through which provider, what it answered and how long it took.
/// Written in the same transaction as the delivery's new status, so a delivery's attempts always
/// explain its current state.
/// </summary>
public sealed class DeliveryAttempt
{
    public long Id { get; init; }
    public Guid DeliveryId { get; init; }

    /// <summary>1 for the first try.</summary>
    public int Number { get; init; }

    public DateTimeOffset At { get; init; }
    public required string Provider { get; init; }

    /// <summary>The delivery's status after this attempt (<c>queued</c> when a retry is scheduled).</summary>
    public DeliveryStatus Outcome { get; init; }

    public int? HttpStatus { get; init; }
    public string? ErrorCode { get; init; }
    public string? Error { get; init; }
    public string? ProviderMessageId { get; init; }
    public int LatencyMs { get; init; }
}
