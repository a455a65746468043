using CommsHub.Core.Common;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// One try of one provider request (or one decision about a batch, such as a failed send command): when, through which
/// provider, what it answered and how long it took, for every delivery it carried. An email batch's single SendGrid
/// request is one row for its thousand recipients; a text message or a webhook is one row for its one. Written in the
/// same transaction as the deliveries' new status, so a delivery's attempts always explain its current state; a
/// delivery's attempts are the rows of its batch that list it (<see cref="DeliveryIds"/>).
/// </summary>
public sealed class DeliveryAttempt
{
    public long Id { get; init; }

    /// <summary>With <see cref="Channel"/> and <see cref="Batch"/>, the batch the deliveries belong to (the rows are found through it).</summary>
    public Guid UpdateId { get; init; }
    public Channel Channel { get; init; }
    public int Batch { get; init; }

    /// <summary>The deliveries this attempt carried, each at attempt <see cref="Number"/>.</summary>
    public required Guid[] DeliveryIds { get; init; }

    /// <summary>1 for the first try.</summary>
    public int Number { get; init; }

    public DateTimeOffset At { get; init; }
    public required string Provider { get; init; }

    /// <summary>The deliveries' status after this attempt (<c>queued</c> when a retry is scheduled).</summary>
    public DeliveryStatus Outcome { get; init; }

    public int? HttpStatus { get; init; }
    public string? ErrorCode { get; init; }
    public string? Error { get; init; }
    public string? ProviderMessageId { get; init; }
    public int LatencyMs { get; init; }
}
