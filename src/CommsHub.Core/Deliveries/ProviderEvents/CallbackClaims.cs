using CommsHub.Core.Data;
using CommsHub.Core.Subscribers;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CommsHub.Core.Deliveries.ProviderEvents;

/// <summary>
/// The concurrency-sensitive statements of <see cref="DeliveryEvents"/>, per provider. On PostgreSQL
/// several callback requests run at once: claims and row locks are taken in id order, so two
/// overlapping batches queue behind each other instead of deadlocking. SQLite has a single writer
/// and EF's transactions there start IMMEDIATE, so plain statements inside one cannot race.
/// </summary>
internal static class CallbackClaims
{
    /// <summary>Records the event ids as applied; returns those that were not already (only these take effect).</summary>
    public static async Task<HashSet<string>> ClaimAsync(CommsHubDbContext db, string inbox, List<string> ids, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (db.Provider == DatabaseProvider.PostgreSql)
        {
            // A copy of the same event in a concurrent request waits here until that one commits
            // (then it is skipped) or rolls back (then it is ours).
            var claimed = await db.Database.SqlQuery<string>($"""
                INSERT INTO inbound_messages (provider, message_id, received_at)
                SELECT {inbox}, t.id, {now.ToUniversalTime()} FROM unnest({ids.Order(StringComparer.Ordinal).ToArray()}) AS t(id)
                ORDER BY t.id
                ON CONFLICT DO NOTHING
                RETURNING message_id AS "Value"
                """).ToListAsync(cancellationToken);
            return claimed.ToHashSet(StringComparer.Ordinal);
        }
        var seen = await db.InboundMessages.Where(m => m.Provider == inbox && ids.Contains(m.MessageId)).Select(m => m.MessageId)
            .ToListAsync(cancellationToken);
        var fresh = ids.Except(seen, StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal);
        db.InboundMessages.AddRange(fresh.Select(id => new InboundMessage { Provider = inbox, MessageId = id, ReceivedAt = now }));
        await db.SaveChangesAsync(cancellationToken);
        return fresh;
    }

    /// <summary>Locks the deliveries until commit, so what is read next is what the conditional updates will find.</summary>
    public static Task LockDeliveriesAsync(CommsHubDbContext db, List<Guid> ids, CancellationToken cancellationToken) =>
        db.Provider != DatabaseProvider.PostgreSql || ids.Count == 0
            ? Task.CompletedTask
            : db.Database.SqlQuery<Guid>($"""SELECT id AS "Value" FROM deliveries WHERE id = ANY({ids.ToArray()}) ORDER BY id FOR UPDATE""")
                .ToListAsync(cancellationToken);

    public static Task LockSubscribersAsync(CommsHubDbContext db, List<Guid> ids, CancellationToken cancellationToken) =>
        db.Provider != DatabaseProvider.PostgreSql || ids.Count == 0
            ? Task.CompletedTask
            : db.Database.SqlQuery<Guid>($"""SELECT id AS "Value" FROM subscribers WHERE id = ANY({ids.ToArray()}) ORDER BY id FOR UPDATE""")
                .ToListAsync(cancellationToken);

    /// <summary>Worth another try from the start: a lost race for an event id, or a deadlock with another writer.</summary>
    public static bool IsRetryable(Exception ex) => ex switch
    {
        DbUpdateException => true,
        PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure } => true,
        _ => ex.InnerException is { } inner && IsRetryable(inner),
    };
}
