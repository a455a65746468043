using CommsHub.Core.Channels;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// Collects the outcomes of a batch that sends one request per recipient and records them in
/// groups: when <see cref="MaxPending"/> are waiting, when the oldest has waited
/// <see cref="MaxDelay"/>, and at the end. One commit per group instead of one per recipient.
/// The price is bounded and stated: should the process die, the sends of the last unrecorded group
/// (at most <see cref="MaxDelay"/> of sending) are retried once the lease expires.
/// </summary>
public sealed class OutcomeBuffer(IServiceScopeFactory scopes, DeliveryLease lease, TimeProvider time) : IDisposable
{
    public const int MaxPending = 100;
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(250);

    private readonly List<(LeasedDelivery, SendResult)> _pending = [];
    private readonly SemaphoreSlim _flush = new(1, 1);
    private DateTimeOffset _oldest;

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
            await FlushAsync(cancellationToken);
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
        return FlushAsync(cancellationToken);
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
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
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<DeliveryLeases>().CompleteManyAsync(lease, group, cancellationToken);
        }
        finally
        {
            _flush.Release();
        }
    }

    public void Dispose() => _flush.Dispose();
}
