using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// Collects the outcomes of a batch that sends one request per recipient and records them in
/// groups: when <see cref="MaxPending"/> are waiting, when the oldest has waited
/// <see cref="MaxDelay"/>, and at the end. One commit per group instead of one per recipient.
/// The price is bounded and stated: should the process die, the sends of the last unrecorded group
/// (at most <see cref="MaxDelay"/> of sending) are in doubt once the lease expires. A group taken for
/// writing is written whatever happens to the batch's message (<see cref="OutcomeRecorder"/>).
/// </summary>
public sealed class OutcomeBuffer(OutcomeRecorder recorder, DeliveryLease lease, TimeProvider time, ILogger logger) : IDisposable
{
    public const int MaxPending = 500;
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(250);

    private readonly List<(LeasedDelivery, SendResult)> _pending = [];
    private readonly SemaphoreSlim _flush = new(1, 1);
    private DateTimeOffset _oldest;

    /// <summary>
    /// The batch's in-flight marks: a group recorded while sending goes on (<see cref="AddAsync"/>,
    /// <see cref="FlushIfDueAsync"/>) also moves the mark ahead of the sending (<see cref="InFlightMarks.Ahead"/>), in the
    /// same transaction, so the requests after it need no mark of their own. A flush after the sending marks nothing.
    /// </summary>
    public InFlightMarks? Marks { get; set; }

    /// <summary>How many requests past those already started a record's mark covers.</summary>
    public int MarkAhead { get; set; } = MaxPending;

    public async Task AddAsync(LeasedDelivery delivery, SendResult result, CancellationToken cancellationToken)
    {
        bool due;
        lock (_pending)
        {
            if (_pending.Count == 0)
            {
                _oldest = time.GetUtcNow();
            }
            _pending.Add((delivery, result));
            due = _pending.Count >= MaxPending || time.GetUtcNow() - _oldest >= MaxDelay;
        }
        if (due)
        {
            await FlushAsync(cancellationToken, sending: true);
        }
    }

    /// <summary>Records what waits if the oldest has waited long enough: call it before waiting for something slow.</summary>
    public Task FlushIfDueAsync(CancellationToken cancellationToken)
    {
        lock (_pending)
        {
            if (_pending.Count == 0 || time.GetUtcNow() - _oldest < MaxDelay)
            {
                return Task.CompletedTask;
            }
        }
        return FlushAsync(cancellationToken, sending: true);
    }

    /// <param name="cancellationToken">Stops the wait for another flush only: once taken, a group is written (or given up on) whatever happens.</param>
    /// <param name="sending">Requests are still leaving: the record also marks the next ones in flight.</param>
    public async Task FlushAsync(CancellationToken cancellationToken, bool sending = false)
    {
        await _flush.WaitAsync(cancellationToken);
        try
        {
            List<(LeasedDelivery, SendResult)> group;
            lock (_pending)
            {
                group = [.. _pending];
                _pending.Clear();
            }
            if (group.Count == 0)
            {
                return;
            }
            try
            {
                var ahead = sending ? Marks?.Ahead(MarkAhead) : null;
                await recorder.RecordAsync(leases => leases.CompleteManyAsync(lease, group, CancellationToken.None,
                    ahead is { } mark ? (mark.ThroughId, mark.At) : null));
                if (ahead is { } stored)
                {
                    await Marks!.AdvanceAsync(stored.UpTo, stored.At);
                }
            }
            catch (Exception ex)
            {
                // The database stayed away longer than the claim: these answers are lost, and their deliveries in doubt.
                logger.LogError(ex, "Could not record {Count} provider answers of {Channel}; their deliveries are in doubt and will be looked up or sent again",
                    group.Count, lease.Channel);
                throw;
            }
        }
        finally
        {
            _flush.Release();
        }
    }

    public void Dispose() => _flush.Dispose();
}
