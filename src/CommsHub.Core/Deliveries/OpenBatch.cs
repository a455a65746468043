using CommsHub.Core.Common;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// A planned batch that may still hold queued deliveries: written with the batch's rows, deleted in the transaction
/// that settles its last queued delivery (or by the redrive once it finds none). It is how the redrive finds a batch
/// whose command was lost or whose sender died (<see cref="DeliveryRedrive"/>) without an index on the deliveries'
/// status: no index of <c>deliveries</c> names a column an outcome changes, so recording an outcome writes each row's
/// new version beside the old one (a HOT update) instead of inserting it into every index of the table
/// (docs/benchmarks.md, "Outcomes without index writes").
/// </summary>
public sealed class OpenBatch
{
    public Guid UpdateId { get; init; }
    public Common.Channel Channel { get; init; }
    public int Batch { get; init; }

    /// <summary>When the batch was planned: a batch untouched since then lost its command after <c>Redrive:StuckAfter</c>.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Set when the redrive found the batch still busy (a live sender, retries not yet due): not looked at again before.</summary>
    public DateTimeOffset? CheckAfter { get; set; }
}

/// <summary>
/// A text message's provider id (Twilio's SID) and its delivery: how a status callback finds the delivery it reports on.
/// A table of its own because an index on <c>deliveries.provider_message_id</c> would make every recorded outcome (a
/// batch email's message id too) an update of an indexed column, and so a write into every index of the table.
/// </summary>
public sealed class ProviderMessage
{
    public required string ProviderMessageId { get; init; }
    public Guid DeliveryId { get; init; }
}

/// <summary>The writes that keep <see cref="OpenBatch"/> and <see cref="ProviderMessage"/> true, in the caller's transaction.</summary>
internal static class BatchBook
{
    /// <summary>
    /// Closes the batch if none of its deliveries is queued any more (read through the batch's index), in the caller's
    /// transaction. On PostgreSQL the batch's row is locked first and the check made by a second statement, which sees
    /// what was committed meanwhile: a planner writing more of the batch (a plan redelivered after a crash, whose pages
    /// moved) locks the row too (<see cref="PostgreSqlDeliveryWriter"/>), so its deliveries are either seen here or
    /// open the batch again once this is done; a single statement's check would not see them and close it under them.
    /// </summary>
    public static async Task<int> CloseIfSettledAsync(Data.CommsHubDbContext db, Guid updateId, Common.Channel channel, int batch, CancellationToken cancellationToken)
    {
        if (db.Provider != Data.DatabaseProvider.PostgreSql)
        {
            var queued = Abandonment.Batch(db, updateId, channel, batch);
            return await db.OpenBatches.Where(b => b.UpdateId == updateId && b.Channel == channel && b.Batch == batch && !queued.Any())
                .ExecuteDeleteAsync(cancellationToken);
        }
        var wire = channel.ToWire();
        return await db.Database.ExecuteSqlAsync($"""
            SELECT 1 FROM open_batches WHERE update_id = {updateId} AND channel = {wire} AND batch = {batch} FOR UPDATE;
            DELETE FROM open_batches WHERE update_id = {updateId} AND channel = {wire} AND batch = {batch}
                AND NOT EXISTS (SELECT 1 FROM deliveries AS d WHERE d.update_id = {updateId} AND d.channel = {wire} AND d.batch = {batch} AND d.status = 'queued');
            """, cancellationToken);
    }

    /// <summary>
    /// Closes every open batch planned before <paramref name="bound"/> and due a look whose deliveries are all settled
    /// (by a provider's callback, a cancelled campaign: writes that do not close the batch), as
    /// <see cref="CloseIfSettledAsync"/> does one. Each batch is looked into by a scalar subquery, which PostgreSQL runs
    /// per batch through the batches' index whatever its statistics say (a <c>NOT EXISTS</c> it may turn into one scan of
    /// every delivery: <see cref="DeliveryRedrive.InOpenBatches"/>).
    /// </summary>
    public static async Task CloseSettledAsync(Data.CommsHubDbContext db, DateTimeOffset bound, DateTimeOffset now, DateTimeOffset? checkedBefore,
        CancellationToken cancellationToken)
    {
        if (db.Provider != Data.DatabaseProvider.PostgreSql)
        {
            await Due(db.OpenBatches, bound, now, checkedBefore)
                .Where(b => !db.Deliveries.Any(d => d.UpdateId == b.UpdateId && d.Channel == b.Channel && d.Batch == b.Batch && d.Status == Common.DeliveryStatus.Queued))
                .ExecuteDeleteAsync(cancellationToken);
            return;
        }
        var before = checkedBefore ?? DateTimeOffset.MinValue;
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync($"""
            SELECT 1 FROM open_batches WHERE created_at < {bound} AND (check_after IS NULL OR check_after <= {now} OR check_after < {before}) FOR UPDATE;
            DELETE FROM open_batches AS b WHERE b.created_at < {bound} AND (b.check_after IS NULL OR b.check_after <= {now} OR b.check_after < {before})
                AND (SELECT 1 FROM deliveries AS d WHERE d.update_id = b.update_id AND d.channel = b.channel AND d.batch = b.batch AND d.status = 'queued'
                     LIMIT 1) IS NULL;
            """, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// The open batches the redrive may look into: planned before <paramref name="bound"/>, and not looked into since
    /// <paramref name="now"/> minus the recheck interval, or looked into before <paramref name="checkedBefore"/> (by the
    /// last process on the in-memory bus, whose senders are gone with it).
    /// </summary>
    public static IQueryable<OpenBatch> Due(IQueryable<OpenBatch> batches, DateTimeOffset bound, DateTimeOffset now, DateTimeOffset? checkedBefore) =>
        checkedBefore is { } before
            ? batches.Where(b => b.CreatedAt < bound && (b.CheckAfter == null || b.CheckAfter <= now || b.CheckAfter < before))
            : batches.Where(b => b.CreatedAt < bound && (b.CheckAfter == null || b.CheckAfter <= now));

    /// <summary>
    /// Keeps the provider ids of accepted text messages, which their status callbacks name (no other channel is looked
    /// up by its provider's id: SendGrid's events are found by address and message id, through the recipients' index).
    /// An id already kept (the same answer recorded twice) is left as it is.
    /// </summary>
    public static async Task AddProviderMessagesAsync(Data.CommsHubDbContext db, Common.Channel channel,
        IEnumerable<(Guid DeliveryId, string? ProviderMessageId)> accepted, CancellationToken cancellationToken)
    {
        if (channel != Common.Channel.Sms)
        {
            return;
        }
        var rows = accepted.Where(a => !string.IsNullOrEmpty(a.ProviderMessageId)).DistinctBy(a => a.ProviderMessageId).ToList();
        if (rows.Count == 0)
        {
            return;
        }
        if (db.Provider == Data.DatabaseProvider.PostgreSql)
        {
            var messageIds = rows.Select(r => r.ProviderMessageId!).ToArray();
            var deliveryIds = rows.Select(r => r.DeliveryId).ToArray();
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO provider_messages (provider_message_id, delivery_id) SELECT * FROM unnest({messageIds}, {deliveryIds})
                ON CONFLICT DO NOTHING
                """, cancellationToken);
            return;
        }
        // SQLite has one writer at a time: read, then add what is new (written by the caller's SaveChanges).
        var ids = rows.Select(r => r.ProviderMessageId!).ToList();
        var kept = (await db.ProviderMessages.Where(m => ids.Contains(m.ProviderMessageId)).Select(m => m.ProviderMessageId)
            .ToListAsync(cancellationToken)).ToHashSet();
        db.ProviderMessages.AddRange(rows.Where(r => !kept.Contains(r.ProviderMessageId!))
            .Select(r => new ProviderMessage { ProviderMessageId = r.ProviderMessageId!, DeliveryId = r.DeliveryId }));
    }
}
