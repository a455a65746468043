using System.Data.Common;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace CommsHub.Testing;

/// <summary>
/// Attempt rows written one per delivery (before <c>AttemptPerRequest</c>) read the same after the migration: each
/// delivery's attempt log, as the delivery's detail shows it, is what the old rows said. Each provider's suite runs it
/// against a database of its own.
/// </summary>
public static class AttemptMigrationCheck
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 21, 0, 0, TimeSpan.Zero);

    public static async Task Attempts_written_per_delivery_read_the_same_after_the_migration(DatabaseProvider provider, string connectionString)
    {
        var update = Guid.CreateVersion7();
        var (a, b, c, gone) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        await using (var db = Context(provider, connectionString))
        {
            await db.GetService<IMigrator>().MigrateAsync("HotOutcomes");
            var connection = db.Database.GetDbConnection();
            await connection.OpenAsync();
            // a and b in batch 3 of the update's texts, c in batch 4; an attempt of a delivery no longer there.
            await InsertDeliveryAsync(connection, provider, a, update, 3, "sent");
            await InsertDeliveryAsync(connection, provider, b, update, 3, "failed");
            await InsertDeliveryAsync(connection, provider, c, update, 4, "queued");
            await InsertAttemptAsync(connection, provider, a, 2, T0.AddMinutes(5), "sent", 201, null, null, "SM-a", 180);
            await InsertAttemptAsync(connection, provider, a, 1, T0.AddMinutes(1), "queued", 503, "http_503", "Service Unavailable", null, 2500);
            await InsertAttemptAsync(connection, provider, b, 1, T0.AddMinutes(2), "failed", 400, "21211", "Invalid 'To' Phone Number", null, 95);
            await InsertAttemptAsync(connection, provider, gone, 1, T0, "sent", 201, null, null, "SM-gone", 10);
        }

        await using (var db = Context(provider, connectionString))
        {
            await db.Database.MigrateAsync();
            var queries = new DeliveryQueries(db);
            var first = await queries.GetAsync(a, CancellationToken.None);
            Assert.Equal(
            [
                new DeliveryAttemptView(1, T0.AddMinutes(1), "twilio", DeliveryStatus.Queued, 503, "http_503", "Service Unavailable", null, 2500),
                new DeliveryAttemptView(2, T0.AddMinutes(5), "twilio", DeliveryStatus.Sent, 201, null, null, "SM-a", 180),
            ], first!.Attempts);
            var second = await queries.GetAsync(b, CancellationToken.None);
            Assert.Equal([new DeliveryAttemptView(1, T0.AddMinutes(2), "twilio", DeliveryStatus.Failed, 400, "21211", "Invalid 'To' Phone Number", null, 95)],
                second!.Attempts);
            Assert.Empty((await queries.GetAsync(c, CancellationToken.None))!.Attempts);
            // Each row now sits with its delivery's batch and lists that delivery; the unreachable one is gone.
            var rows = await db.DeliveryAttempts.AsNoTracking().OrderBy(r => r.At).ToListAsync();
            Assert.Equal([[a], [b], [a]], rows.Select(r => r.DeliveryIds));
            Assert.All(rows, r => Assert.Equal((update, Channel.Sms, 3), (r.UpdateId, r.Channel, r.Batch)));
        }
    }

    private static CommsHubDbContext Context(DatabaseProvider provider, string connectionString) => provider == DatabaseProvider.PostgreSql
        ? new PostgreSqlCommsHubDbContext(DatabaseSetup.Configure(new DbContextOptionsBuilder<PostgreSqlCommsHubDbContext>(), provider, connectionString).Options)
        : new SqliteCommsHubDbContext(DatabaseSetup.Configure(new DbContextOptionsBuilder<SqliteCommsHubDbContext>(), provider, connectionString).Options);

    private static Task InsertDeliveryAsync(DbConnection connection, DatabaseProvider provider, Guid id, Guid update, int batch, string status) =>
        ExecuteAsync(connection, """
            INSERT INTO deliveries (id, update_id, kind, incident_id, subscriber_id, channel, recipient, status, attempts, created_at, batch)
            VALUES (@id, @update, 'incident_update', @update, @id, 'sms', '+14155550100', @status, 1, @at, @batch)
            """, ("id", Id(provider, id)), ("update", Id(provider, update)), ("status", status), ("at", Time(provider, T0)), ("batch", batch));

    private static Task InsertAttemptAsync(DbConnection connection, DatabaseProvider provider, Guid delivery, int number, DateTimeOffset at,
        string outcome, int httpStatus, string? errorCode, string? error, string? messageId, int latency) =>
        ExecuteAsync(connection, """
            INSERT INTO delivery_attempts (delivery_id, number, at, provider, outcome, http_status, error_code, error, provider_message_id, latency_ms)
            VALUES (@delivery, @number, @at, 'twilio', @outcome, @http, @code, @error, @message, @latency)
            """, ("delivery", Id(provider, delivery)), ("number", number), ("at", Time(provider, at)), ("outcome", outcome), ("http", httpStatus),
            ("code", errorCode), ("error", error), ("message", messageId), ("latency", latency));

    // As each provider stores them: SQLite keeps a uuid as upper-case text and a time as its binary form (ProviderContexts).
    private static object Id(DatabaseProvider provider, Guid id) => provider == DatabaseProvider.PostgreSql ? id : id.ToString().ToUpperInvariant();

    private static object Time(DatabaseProvider provider, DateTimeOffset at) =>
        provider == DatabaseProvider.PostgreSql ? at : new DateTimeOffsetToBinaryConverter().ConvertToProvider(at)!;

    private static async Task ExecuteAsync(DbConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        await command.ExecuteNonQueryAsync();
    }
}
