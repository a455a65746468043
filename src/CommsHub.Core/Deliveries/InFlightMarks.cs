using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// Marks a batch's provider requests in flight before they leave, a few requests per write, in one row per
/// lease (<see cref="InFlightMark"/>): the whole batch at once when it is one request (email), else the next
/// <c>window</c> requests at once. After a crash what is marked and unrecorded is in doubt; a mark on a request
/// that never left costs only a look-up (or a send that was due anyway), so marking ahead keeps the writes few.
/// </summary>
public sealed class InFlightMarks(IServiceScopeFactory scopes, DeliveryLease lease, IReadOnlyList<IReadOnlyList<LeasedDelivery>> requests,
    int window, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    // The leading requests the claim marked in its own write (DeliveryLeases.ClaimAsync), at the time its mark says.
    private readonly int _claimMarked = MarkedByClaim(lease, requests);
    private readonly DateTimeOffset[] _at = ClaimTimes(lease, requests);
    private DateTimeOffset _until = lease.Until;
    private int _markedUpTo = MarkedByClaim(lease, requests);
    private int _requested;
    private int _renewChecked;

    /// <summary>The request's recipients, marked in flight (stored) with the time their mark says.</summary>
    public async Task<IReadOnlyList<LeasedDelivery>> MarkAsync(int index, CancellationToken cancellationToken)
    {
        InterlockedMax(ref _requested, index + 1);
        if (index < _claimMarked && Interlocked.Exchange(ref _renewChecked, 1) == 0)
        {
            // Marked by the claim: only a batch that waited long before its first request (a slow plan or render) writes here.
            await _gate.WaitAsync(cancellationToken);
            try
            {
                await RenewIfOldAsync(Now());
            }
            finally
            {
                _gate.Release();
            }
        }
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
                    var at = Now();
                    await RenewIfOldAsync(at);
                    await using var scope = scopes.CreateAsyncScope();
                    // Requests follow the lease's order of ids, so what is marked is a prefix of it.
                    await scope.ServiceProvider.GetRequiredService<DeliveryLeases>().MarkInFlightAsync(lease, requests[upTo - 1][^1].Id, at);
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

    // A request's answer has most of a claim to be recorded (through a database failover too) before another sender
    // may take it as in doubt: a batch that waited long before this request (a slow plan, pacing) renews its claim
    // first. A fresh claim is left as it is: no write per recipient. Called under the gate.
    private async Task RenewIfOldAsync(DateTimeOffset at)
    {
        await using var scope = scopes.CreateAsyncScope();
        var leases = scope.ServiceProvider.GetRequiredService<DeliveryLeases>();
        if (_until - at < leases.Duration * 3 / 4)
        {
            if (await leases.RenewAsync(lease, CancellationToken.None) == 0)
            {
                // The claim ran out and the batch was taken over (or settled): this request is not ours to send.
                throw new LeaseLostException(lease);
            }
            _until = at + leases.Duration;
        }
    }

    // Counted by id, not by number: a lease that settled some of its deliveries in doubt sends fewer, in the same order.
    private static int MarkedByClaim(DeliveryLease lease, IReadOnlyList<IReadOnlyList<LeasedDelivery>> requests)
    {
        if (lease.MarkedThrough is not { } through)
        {
            return 0;
        }
        var count = 0;
        while (count < requests.Count && DeliveryLeases.CompareIds(requests[count][^1].Id, through) <= 0)
        {
            count++;
        }
        return count;
    }

    private static DateTimeOffset[] ClaimTimes(DeliveryLease lease, IReadOnlyList<IReadOnlyList<LeasedDelivery>> requests)
    {
        var at = new DateTimeOffset[requests.Count];
        Array.Fill(at, lease.MarkedAt, 0, MarkedByClaim(lease, requests));
        return at;
    }

    /// <summary>
    /// The mark a record of answers carries, written in the record's transaction instead of one of its own: it covers
    /// the next <paramref name="count"/> requests after those already asked for. Null when those are marked already.
    /// Once the record is stored, <see cref="AdvanceAsync"/> makes it this object's too.
    /// </summary>
    public (int UpTo, Guid ThroughId, DateTimeOffset At)? Ahead(int count)
    {
        var upTo = Math.Min(requests.Count, Volatile.Read(ref _requested) + count);
        if (upTo <= Volatile.Read(ref _markedUpTo))
        {
            return null;
        }
        return (upTo, requests[upTo - 1][^1].Id, Now());
    }

    /// <summary>A mark stored with a record (<see cref="Ahead"/>): the requests it covers leave without another write.</summary>
    public async Task AdvanceAsync(int upTo, DateTimeOffset at)
    {
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            if (upTo > _markedUpTo)
            {
                Array.Fill(_at, at, _markedUpTo, upTo - _markedUpTo);
                Volatile.Write(ref _markedUpTo, upTo);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// How many deliveries a claim marks for its sender's first <paramref name="window"/> requests of <paramref name="recipientsPerRequest"/>
    /// each: all of an email batch (its one request takes any number), a window's worth otherwise.
    /// </summary>
    public static int ClaimReach(int recipientsPerRequest, int window) => (int)Math.Min(int.MaxValue, (long)recipientsPerRequest * Math.Max(1, window));

    private DateTimeOffset Now() => Truncate(time.GetUtcNow());

    /// <summary>Whole milliseconds: a mark's time survives every database's time type exactly, and keys the request (email's batch key).</summary>
    public static DateTimeOffset Truncate(DateTimeOffset now) =>
        new(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    public void Dispose() => _gate.Dispose();
}
