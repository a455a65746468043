using System.Diagnostics;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
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
/// A plan of more than a few pages refreshes PostgreSQL's statistics of <c>deliveries</c> once (<c>ANALYZE</c>, which
/// samples a fixed 30,000 rows however large the table). Until it does, the planner knows nothing of the new update's
/// id and little of how many deliveries are queued, estimates one row for either, and may serve the senders' claims
/// through the (update_id, id) index or the queued-only index instead of (update_id, channel, batch): each claim of
/// 1,000 then reads the whole update or everything queued, 30–150 ms instead of 10 (docs/benchmarks.md, "Plans
/// that flip"). Autovacuum's own analyze comes only after a tenth of the table has changed, and at a moment of its
/// choosing: fan-outs of the same size took 5 s or 13 s depending on it.
/// </remarks>
internal sealed class PostgreSqlDeliveryWriter(CommsHubDbContext db, ILogger<PostgreSqlDeliveryWriter> logger) : IDeliveryWriter
{
    /// <summary>Pages written by one plan (one scope) before it refreshes the statistics.</summary>
    internal const int PagesBeforeStatistics = 5;

    /// <summary>Several plans at once (an update's channels) refresh them once.</summary>
    private static readonly TimeSpan StatisticsAtMostEvery = TimeSpan.FromSeconds(5);

    /// <summary>When each database's statistics were last refreshed by this process (a timestamp).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> s_lastStatistics = new();
    private int _pages;

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
        var inserted = await InsertAsync(updateId, incidentId, kind, channel, batch, recipients, now, cancellationToken);
        if (++_pages == PagesBeforeStatistics)
        {
            await RefreshStatisticsAsync(cancellationToken);
        }
        return inserted;
    }

    private async Task RefreshStatisticsAsync(CancellationToken cancellationToken)
    {
        var now = Stopwatch.GetTimestamp();
        var database = db.Database.GetDbConnection().Database;
        var last = s_lastStatistics.GetOrAdd(database, 0);
        if ((last != 0 && Stopwatch.GetElapsedTime(last, now) < StatisticsAtMostEvery) || !s_lastStatistics.TryUpdate(database, now, last))
        {
            return;
        }
        // Inside the plan's transaction when there is one (ANALYZE counts that transaction's own rows, and the senders
        // see its figures when they see the pages they describe), behind a savepoint: a refusal must not abort the plan.
        var tx = db.Database.CurrentTransaction;
        if (tx is not null)
        {
            await tx.CreateSavepointAsync("statistics", cancellationToken);
        }
        try
        {
            await db.Database.ExecuteSqlRawAsync("ANALYZE deliveries", cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && (ex is NpgsqlException || DatabaseFailures.IsTransient(ex)))
        {
            // A statistic is an estimate: the plan goes on with the old one, and autovacuum refreshes it later.
            logger.LogWarning(ex, "Could not refresh the statistics of deliveries; claims may read more than their batch until autovacuum does");
            if (tx is not null)
            {
                await tx.RollbackToSavepointAsync("statistics", cancellationToken);
            }
        }
    }

    private async Task<int> InsertAsync(Guid updateId, Guid incidentId, DeliveryKind kind, Channel channel, int batch,
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
