using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace CommsHub.Core.Subscribers;

/// <summary>
/// Inserts many new subscribers at once. Rows whose address appeared meanwhile (a concurrent
/// subscription) are skipped, not failed: the unique (channel, address) key decides.
/// </summary>
public interface ISubscriberBulkWriter
{
    /// <returns>How many were inserted.</returns>
    Task<int> InsertAsync(IReadOnlyList<Subscriber> subscribers, CancellationToken cancellationToken);
}

/// <summary>Binary COPY into a temporary table, then one INSERT … ON CONFLICT DO NOTHING.</summary>
internal sealed class PostgreSqlSubscriberBulkWriter(CommsHubDbContext db) : ISubscriberBulkWriter
{
    public async Task<int> InsertAsync(IReadOnlyList<Subscriber> subscribers, CancellationToken cancellationToken)
    {
        if (subscribers.Count == 0)
        {
            return 0;
        }
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            await Execute(connection, """
                CREATE TEMP TABLE import_subscribers (id uuid, channel text, address text, status text, created_at timestamptz, confirmed_at timestamptz, protected_secret text) ON COMMIT DROP;
                CREATE TEMP TABLE import_components (subscriber_id uuid, component_id uuid) ON COMMIT DROP;
                """, cancellationToken);

            await using (var copy = await connection.BeginBinaryImportAsync(
                "COPY import_subscribers (id, channel, address, status, created_at, confirmed_at, protected_secret) FROM STDIN (FORMAT BINARY)", cancellationToken))
            {
                foreach (var s in subscribers)
                {
                    await copy.StartRowAsync(cancellationToken);
                    await copy.WriteAsync(s.Id, NpgsqlDbType.Uuid, cancellationToken);
                    await copy.WriteAsync(s.Channel.ToWire(), NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(s.Address, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(s.Status.ToWire(), NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(s.CreatedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken);
                    if (s.ConfirmedAt is { } confirmed)
                    {
                        await copy.WriteAsync(confirmed.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken);
                    }
                    else
                    {
                        await copy.WriteNullAsync(cancellationToken);
                    }
                    if (s.ProtectedSecret is { } secret)
                    {
                        await copy.WriteAsync(secret, NpgsqlDbType.Text, cancellationToken);
                    }
                    else
                    {
                        await copy.WriteNullAsync(cancellationToken);
                    }
                }
                await copy.CompleteAsync(cancellationToken);
            }
            await using (var copy = await connection.BeginBinaryImportAsync(
                "COPY import_components (subscriber_id, component_id) FROM STDIN (FORMAT BINARY)", cancellationToken))
            {
                foreach (var c in subscribers.SelectMany(s => s.Components))
                {
                    await copy.StartRowAsync(cancellationToken);
                    await copy.WriteAsync(c.SubscriberId, NpgsqlDbType.Uuid, cancellationToken);
                    await copy.WriteAsync(c.ComponentId, NpgsqlDbType.Uuid, cancellationToken);
                }
                await copy.CompleteAsync(cancellationToken);
            }

            var inserted = await Execute(connection, """
                INSERT INTO subscribers (id, channel, address, status, created_at, confirmed_at, protected_secret, confirmations_in_window)
                SELECT id, channel, address, status, created_at, confirmed_at, protected_secret, 0 FROM import_subscribers
                ON CONFLICT (channel, address) DO NOTHING
                """, cancellationToken);
            await Execute(connection, """
                INSERT INTO subscriber_components (subscriber_id, component_id)
                SELECT c.subscriber_id, c.component_id FROM import_components c
                WHERE EXISTS (SELECT 1 FROM subscribers s WHERE s.id = c.subscriber_id)
                ON CONFLICT DO NOTHING
                """, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return inserted;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task<int> Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>The embedded database has one writer: a plain insert in one transaction.</summary>
internal sealed class SqliteSubscriberBulkWriter(CommsHubDbContext db) : ISubscriberBulkWriter
{
    public async Task<int> InsertAsync(IReadOnlyList<Subscriber> subscribers, CancellationToken cancellationToken)
    {
        db.Subscribers.AddRange(subscribers);
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return subscribers.Count;
    }
}
