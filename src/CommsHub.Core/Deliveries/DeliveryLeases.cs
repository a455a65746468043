using CommsHub.Core.Channels.Email;
using CommsHub.Core.Channels;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Deliveries;

public sealed record LeasedDelivery(Guid Id, Guid SubscriberId, string Recipient);

public sealed record DeliveryLease(Guid Token, IReadOnlyList<LeasedDelivery> Deliveries);

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
                        && (d.LeaseUntil == null || d.LeaseUntil < now))
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.LeaseToken, token)
                .SetProperty(d => d.LeaseUntil, until)
                .SetProperty(d => d.Attempts, d => d.Attempts + 1), cancellationToken);
        if (claimed == 0)
        {
            return new DeliveryLease(token, []);
        }
        var deliveries = await db.Deliveries.AsNoTracking()
            .Where(d => d.LeaseToken == token)
            .OrderBy(d => d.Id)
            .Select(d => new LeasedDelivery(d.Id, d.SubscriberId, d.Recipient))
            .ToListAsync(cancellationToken);
        return new DeliveryLease(token, deliveries);
    }

    /// <summary>Records the outcome on every delivery of the lease and releases it.</summary>
    public Task<int> CompleteAsync(DeliveryLease lease, SendResult result, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rows = db.Deliveries.Where(d => d.LeaseToken == lease.Token);
        if (result.Accepted)
        {
            return rows.ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, result.Status)
                .SetProperty(d => d.Provider, result.Provider)
                .SetProperty(d => d.ProviderMessageId, result.ProviderMessageId)
                .SetProperty(d => d.SentAt, now)
                .SetProperty(d => d.LastError, (string?)null)
                .SetProperty(d => d.LeaseToken, (Guid?)null)
                .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), cancellationToken);
        }
        // A transient failure stays queued for the retry; a permanent one is final.
        var status = result.Transient ? DeliveryStatus.Queued : DeliveryStatus.Failed;
        return rows.ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Status, status)
            .SetProperty(d => d.Provider, result.Provider)
            .SetProperty(d => d.LastError, result.Error)
            .SetProperty(d => d.LeaseToken, (Guid?)null)
            .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), cancellationToken);
    }
}
