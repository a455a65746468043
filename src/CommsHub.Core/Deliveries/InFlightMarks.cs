using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// Marks a batch's provider requests in flight before they leave, a few requests per write: the whole
/// batch in one statement when it is one request (email), else the next <c>window</c> requests at once.
/// After a crash what is marked and unrecorded is in doubt; a mark on a request that never left costs
/// only a look-up (or a send that was due anyway), so marking ahead keeps the writes few.
/// </summary>
public sealed class InFlightMarks(IServiceScopeFactory scopes, DeliveryLease lease, IReadOnlyList<IReadOnlyList<LeasedDelivery>> requests,
    int window, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly DateTimeOffset[] _at = new DateTimeOffset[requests.Count];
    private int _markedUpTo;

    /// <summary>The request's recipients, marked in flight (stored) with the time their mark says.</summary>
    public async Task<IReadOnlyList<LeasedDelivery>> MarkAsync(int index, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _markedUpTo) <= index)
        {
            await _gate.WaitAsync(cancellationToken);
            try
            {
                if (_markedUpTo <= index)
                {
                    // From the first request not yet marked, not from this one: requests reach here out of order
                    // (pacing, flushes), and starting at a later index would leave the ones before it unmarked.
                    var from = _markedUpTo;
                    var upTo = Math.Min(requests.Count, Math.Max(index + 1, from + Math.Max(1, window)));
                    // Whole milliseconds: the mark survives every database's time type exactly, and keys the request (email's batch key).
                    var now = time.GetUtcNow();
                    var at = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
                    var all = from == 0 && upTo == requests.Count;
                    await using var scope = scopes.CreateAsyncScope();
                    await scope.ServiceProvider.GetRequiredService<DeliveryLeases>().MarkInFlightAsync(lease,
                        all ? null : [.. requests.Skip(from).Take(upTo - from).SelectMany(r => r).Select(d => d.Id)], at);
                    Array.Fill(_at, at, from, upTo - from);
                    Volatile.Write(ref _markedUpTo, upTo);
                }
            }
            finally
            {
                _gate.Release();
            }
        }
        var marked = _at[index];
        return [.. requests[index].Select(d => d with { InFlightAt = marked })];
    }

    public void Dispose() => _gate.Dispose();
}
