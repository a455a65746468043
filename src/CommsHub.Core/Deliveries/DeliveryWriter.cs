using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace CommsHub.Core.Deliveries;

public readonly record struct PlannedRecipient(Guid SubscriberId, string Recipient);

/// <summary>
/// Creates the queued deliveries of one planned batch in a single statement. Rows that already
/// exist (a redelivered plan) are left alone: the unique key decides, not the caller.
/// </summary>
public interface IDeliveryWriter
{
    Task<int> InsertQueuedAsync(Guid updateId, Guid incidentId, DeliveryKind kind, Channel channel, int batch,
        IReadOnlyList<PlannedRecipient> recipients, DateTimeOffset now, CancellationToken cancellationToken);
}

internal sealed class PostgreSqlDeliveryWriter(CommsHubDbContext db) : IDeliveryWriter
{
    private const string Sql = """
        INSERT INTO deliveries (id, update_id, incident_id, kind, subscriber_id, channel, recipient, status, attempts, created_at, batch)
        SELECT r.id, @update_id, @incident_id, @kind, r.subscriber_id, @channel, r.recipient, 'queued', 0, @now, @batch
        FROM unnest(@ids, @subscriber_ids, @recipients) AS r(id, subscriber_id, recipient)
        ON CONFLICT (update_id, subscriber_id, channel) DO NOTHING
        """;

    public Task<int> InsertQueuedAsync(Guid updateId, Guid incidentId, DeliveryKind kind, Channel channel, int batch,
        IReadOnlyList<PlannedRecipient> recipients, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ids = new Guid[recipients.Count];
        var subscriberIds = new Guid[recipients.Count];
        var addresses = new string[recipients.Count];
        for (var i = 0; i < recipients.Count; i++)
        {
            ids[i] = Ids.New();
            subscriberIds[i] = recipients[i].SubscriberId;
            addresses[i] = recipients[i].Recipient;
        }
        return db.Database.ExecuteSqlRawAsync(Sql,
        [
            new NpgsqlParameter("update_id", updateId),
            new NpgsqlParameter("incident_id", incidentId),
            new NpgsqlParameter("kind", kind.ToWire()),
            new NpgsqlParameter("channel", channel.ToWire()),
            new NpgsqlParameter("now", now.ToUniversalTime()),
            new NpgsqlParameter("batch", batch),
            new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = ids },
            new NpgsqlParameter("subscriber_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = subscriberIds },
            new NpgsqlParameter("recipients", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = addresses },
        ], cancellationToken);
    }
}

/// <summary>SQLite has a single writer, so check-then-insert inside one transaction cannot race.</summary>
internal sealed class SqliteDeliveryWriter(CommsHubDbContext db) : IDeliveryWriter
{
    public async Task<int> InsertQueuedAsync(Guid updateId, Guid incidentId, DeliveryKind kind, Channel channel, int batch,
        IReadOnlyList<PlannedRecipient> recipients, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var subscriberIds = recipients.Select(r => r.SubscriberId).ToList();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var existing = (await db.Deliveries
            .Where(d => d.UpdateId == updateId && d.Channel == channel && subscriberIds.Contains(d.SubscriberId))
            .Select(d => d.SubscriberId)
            .ToListAsync(cancellationToken)).ToHashSet();
        var added = 0;
        foreach (var r in recipients.Where(r => !existing.Contains(r.SubscriberId)))
        {
            db.Deliveries.Add(new Delivery
            {
                UpdateId = updateId, IncidentId = incidentId, Kind = kind, SubscriberId = r.SubscriberId, Channel = channel,
                Recipient = r.Recipient, CreatedAt = now, Batch = batch,
            });
            added++;
        }
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return added;
    }
}
