using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace CommsHub.Core.Deliveries;

public readonly record struct PlannedRecipient(Guid SubscriberId, string Recipient);

/// <summary>
/// Creates the queued deliveries of one planned batch in a single statement, and the batch's <see cref="OpenBatch"/>.
/// Rows that already exist (a redelivered plan) are left alone: the unique key decides, not the caller.
/// </summary>
public interface IDeliveryWriter
{
    Task<int> InsertQueuedAsync(Guid updateId, Guid incidentId, DeliveryKind kind, Channel channel, int batch,
        IReadOnlyList<PlannedRecipient> recipients, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <remarks>
/// A plan does not refresh PostgreSQL's statistics. Until autovacuum analyses the table the planner knows nothing of
/// the new update and estimates one row for it, and every statement of the fan-out still reaches its batch through
/// (update_id, channel, batch): the claim, the lease's reads and the outcome name all three columns, and no other
/// index of <c>deliveries</c> does (the queued-only index that stale statistics once made look cheaper is gone since
/// outcomes stopped touching indexes; <c>DeliveryHistoryPlanTests</c> checks the plans with and without statistics of
/// the present rows). An <c>ANALYZE</c> per large plan, which the plans once needed, reads 30,000 pages of the table
/// wherever they are, so its cost grew with the history (docs/benchmarks.md, "History does not slow the present").
/// </remarks>
internal sealed class PostgreSqlDeliveryWriter(CommsHubDbContext db) : IDeliveryWriter
{
    // The batch is open once any of its rows is written (one statement: the count is the deliveries'). An open batch
    // already there is locked (DO UPDATE), so a sender closing it waits for this plan's commit (BatchBook.CloseIfSettledAsync).
    private const string Sql = """
        WITH written AS (
            INSERT INTO deliveries (id, update_id, incident_id, kind, subscriber_id, channel, recipient, status, attempts, created_at, batch)
            SELECT r.id, @update_id, @incident_id, @kind, r.subscriber_id, @channel, r.recipient, 'queued', 0, @now, @batch
            FROM unnest(@ids, @subscriber_ids, @recipients) AS r(id, subscriber_id, recipient)
            ON CONFLICT (update_id, subscriber_id, channel) DO NOTHING
            RETURNING 1),
        opened AS (
            INSERT INTO open_batches (update_id, channel, batch, created_at)
            SELECT @update_id, @channel, @batch, @now WHERE EXISTS (SELECT 1 FROM written)
            ON CONFLICT (update_id, channel, batch) DO UPDATE SET check_after = NULL)
        SELECT count(*)::int AS "Value" FROM written
        """;

    public async Task<int> InsertQueuedAsync(Guid updateId, Guid incidentId, DeliveryKind kind, Channel channel, int batch,
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
        // Not composed (no LINQ after it): a statement with a data-modifying WITH must stay at the top level.
        var written = await db.Database.SqlQueryRaw<int>(Sql,
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
        ]).ToListAsync(cancellationToken);
        return written.Single();
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
        if (added > 0 && !await db.OpenBatches.AnyAsync(b => b.UpdateId == updateId && b.Channel == channel && b.Batch == batch, cancellationToken))
        {
            db.OpenBatches.Add(new OpenBatch { UpdateId = updateId, Channel = channel, Batch = batch, CreatedAt = now });
        }
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return added;
    }
}
