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
    /// <summary>Closes the batch if none of its deliveries is queued any more (read through the batch's index).</summary>
    public static Task<int> CloseIfSettledAsync(Data.CommsHubDbContext db, Guid updateId, Common.Channel channel, int batch, CancellationToken cancellationToken) =>
        db.OpenBatches.Where(b => b.UpdateId == updateId && b.Channel == channel && b.Batch == batch
                && !db.Deliveries.Any(d => d.UpdateId == updateId && d.Channel == channel && d.Batch == batch && d.Status == Common.DeliveryStatus.Queued))
            .ExecuteDeleteAsync(cancellationToken);

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
