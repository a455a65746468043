using CommsHub.Core.Channels;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Deliveries;

public sealed record LeasedDelivery(Guid Id, Guid SubscriberId, string Recipient, int Attempts);

public sealed record DeliveryLease(Guid Token, Channel Channel, IReadOnlyList<LeasedDelivery> Deliveries);

/// <summary>
/// A sender claims the queued deliveries of a batch before it sends them. The claim is one
/// conditional UPDATE: PostgreSQL re-checks the condition after taking each row lock, so two
/// copies of the same command never both get a row. An expired lease (a sender that died
/// mid-send) may be claimed again: at least once, never silently dropped.
/// </summary>
public sealed class DeliveryLeases(CommsHubDbContext db, TimeProvider time)
{
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(2);

    public async Task<DeliveryLease> ClaimAsync(Guid updateId, Channel channel, int batch, CancellationToken cancellationToken)
    {
        var token = Guid.NewGuid();
        var now = time.GetUtcNow();
        var until = now + LeaseDuration;
        var claimed = await db.Deliveries
            .Where(d => d.UpdateId == updateId && d.Channel == channel && d.Batch == batch && d.Status == DeliveryStatus.Queued
                        && (d.LeaseUntil == null || d.LeaseUntil < now)
                        && (d.NextAttemptAt == null || d.NextAttemptAt <= now))
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.LeaseToken, token)
                .SetProperty(d => d.LeaseUntil, until)
                .SetProperty(d => d.Attempts, d => d.Attempts + 1), cancellationToken);
        if (claimed == 0)
        {
            return new DeliveryLease(token, channel, []);
        }
        var deliveries = await db.Deliveries.AsNoTracking()
            .Where(d => d.LeaseToken == token)
            .OrderBy(d => d.Id)
            .Select(d => new LeasedDelivery(d.Id, d.SubscriberId, d.Recipient, d.Attempts))
            .ToListAsync(cancellationToken);
        return new DeliveryLease(token, channel, deliveries);
    }

    /// <summary>Extends the lease of what this sender still holds.</summary>
    public Task<int> RenewAsync(DeliveryLease lease, CancellationToken cancellationToken)
    {
        var until = time.GetUtcNow() + LeaseDuration;
        return db.Deliveries.Where(d => d.LeaseToken == lease.Token).ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntil, until), cancellationToken);
    }

    /// <summary>Gives the lease back untried, to be claimed again no sooner than <paramref name="until"/> (the claim's attempt is not counted).</summary>
    public Task<int> DeferAsync(DeliveryLease lease, DateTimeOffset until, CancellationToken cancellationToken) =>
        db.Deliveries.Where(d => d.LeaseToken == lease.Token).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Attempts, d => d.Attempts - 1)
            .SetProperty(d => d.NextAttemptAt, until)
            .SetProperty(d => d.LeaseToken, (Guid?)null)
            .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), cancellationToken);

    /// <summary>Records one outcome on every delivery of the lease and releases it.</summary>
    public Task<int> CompleteAsync(DeliveryLease lease, SendResult result, CancellationToken cancellationToken) =>
        CompleteAsync(db.Deliveries.Where(d => d.LeaseToken == lease.Token), lease.Channel,
            lease.Deliveries.Count == 0 ? 1 : lease.Deliveries.Max(d => d.Attempts), result, cancellationToken);

    /// <summary>Records the outcome of one delivery of the lease (channels that send one request per recipient).</summary>
    public Task<int> CompleteOneAsync(DeliveryLease lease, LeasedDelivery delivery, SendResult result, CancellationToken cancellationToken) =>
        CompleteAsync(db.Deliveries.Where(d => d.LeaseToken == lease.Token && d.Id == delivery.Id), lease.Channel,
            delivery.Attempts, result, cancellationToken);

    /// <param name="attempts">Attempts including this one (the claim counted it).</param>
    private Task<int> CompleteAsync(IQueryable<Delivery> rows, Channel channel, int attempts, SendResult result, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (result.Accepted)
        {
            return rows.ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, result.Status)
                .SetProperty(d => d.Provider, result.Provider)
                .SetProperty(d => d.ProviderMessageId, result.ProviderMessageId)
                .SetProperty(d => d.SentAt, now)
                .SetProperty(d => d.LastError, (string?)null)
                .SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null)
                .SetProperty(d => d.LeaseToken, (Guid?)null)
                .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), cancellationToken);
        }
        // A transient failure waits for its next attempt (never before a provider's Retry-After);
        // once the schedule is exhausted, or for a permanent refusal, the delivery has failed.
        var next = result.Transient ? RetryPolicy.Next(channel, attempts, result.RetryAfter, now) : null;
        var status = next is null ? DeliveryStatus.Failed : DeliveryStatus.Queued;
        var error = next is null && result.Transient ? $"Gave up after {attempts} attempts: {result.Error}" : result.Error;
        return rows.ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Status, status)
            .SetProperty(d => d.Provider, result.Provider)
            .SetProperty(d => d.LastError, error)
            .SetProperty(d => d.NextAttemptAt, next)
            .SetProperty(d => d.LeaseToken, (Guid?)null)
            .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), cancellationToken);
    }
}
