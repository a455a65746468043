using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace ConsoleBench;

/// <summary>
/// Fills the scratch database with binary COPY: subscribers, then (once the host has made the
/// incidents through the API) ten deliveries per subscriber, one per update. Secondary indexes are
/// dropped for the load and rebuilt from their own definitions after, which is many times faster
/// than maintaining them row by row.
/// </summary>
internal sealed class Seed(string connectionString)
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static (string Channel, string Address) Address(int i) => (i % 20) switch
    {
        < 16 => ("email", $"user{i:D7}@example{i % 50}.com"),
        < 19 => ("sms", $"+1202{i:D7}"),
        _ => ("webhook", $"https://hooks{i}.example.net/commshub"),
    };

    private static string Status(int i) => (i % 20) switch { 0 => "pending", 1 => "unsubscribed", _ => "confirmed" };

    public async Task SubscribersAsync(int count, IReadOnlyList<Guid> components)
    {
        var watch = Stopwatch.StartNew();
        _subscriberIds = Enumerable.Range(0, count).Select(i => Guid.CreateVersion7(Start.AddSeconds(i))).ToArray();
        await WithoutIndexesAsync("subscribers", async connection =>
        {
            await using (var copy = await connection.BeginBinaryImportAsync(
                "COPY subscribers (id, channel, address, status, created_at, confirmed_at, unsubscribed_at, confirmations_in_window) FROM STDIN (FORMAT BINARY)"))
            {
                for (var i = 0; i < count; i++)
                {
                    var at = Start.AddSeconds(i);
                    var (channel, address) = Address(i);
                    var status = Status(i);
                    await copy.StartRowAsync();
                    await copy.WriteAsync(SubscriberId(i), NpgsqlDbType.Uuid);
                    await copy.WriteAsync(channel, NpgsqlDbType.Varchar);
                    await copy.WriteAsync(address, NpgsqlDbType.Varchar);
                    await copy.WriteAsync(status, NpgsqlDbType.Varchar);
                    await copy.WriteAsync(at.UtcDateTime, NpgsqlDbType.TimestampTz);
                    await WriteTimeAsync(copy, status == "pending" ? null : at.AddMinutes(5));
                    await WriteTimeAsync(copy, status == "unsubscribed" ? at.AddDays(3) : null);
                    await copy.WriteAsync(0, NpgsqlDbType.Integer);
                }
                await copy.CompleteAsync();
            }
            // Every tenth chose one component; the rest hear about all of them.
            await using var links = await connection.BeginBinaryImportAsync("COPY subscriber_components (subscriber_id, component_id) FROM STDIN (FORMAT BINARY)");
            for (var i = 0; i < count; i += 10)
            {
                await links.StartRowAsync();
                await links.WriteAsync(SubscriberId(i), NpgsqlDbType.Uuid);
                await links.WriteAsync(components[i / 10 % components.Count], NpgsqlDbType.Uuid);
            }
            await links.CompleteAsync();
        });
        Console.WriteLine($"  {count:N0} subscribers in {watch.Elapsed.TotalSeconds:F0} s");
    }

    /// <summary>One delivery per (update, subscriber): 1 in 100 failed with three attempts, a few only sent, the rest delivered.</summary>
    public async Task DeliveriesAsync(int subscribers, IReadOnlyList<(Guid Update, Guid Incident, DateTimeOffset At)> updates)
    {
        var watch = Stopwatch.StartNew();
        var attempts = new List<(Guid Delivery, Guid Update, string Channel, int Batch, DateTimeOffset At, int Number)>();
        await WithoutIndexesAsync("deliveries", async connection =>
        {
            await using var copy = await connection.BeginBinaryImportAsync(
                "COPY deliveries (id, update_id, incident_id, subscriber_id, channel, recipient, status, provider, provider_message_id, attempts, last_error, created_at, sent_at, delivered_at, batch) FROM STDIN (FORMAT BINARY)");
            foreach (var (update, incident, publishedAt) in updates)
            {
                for (var i = 0; i < subscribers; i++)
                {
                    var at = publishedAt.AddTicks(i * 10L);
                    var id = Guid.CreateVersion7(at);
                    var (channel, address) = Address(i);
                    var status = (i % 100) switch { 0 => "failed", < 4 => "sent", _ => channel == "webhook" ? "sent" : "delivered" };
                    var provider = channel switch { "email" => "sendgrid", "sms" => "twilio", _ => "webhook" };
                    await copy.StartRowAsync();
                    await copy.WriteAsync(id, NpgsqlDbType.Uuid);
                    await copy.WriteAsync(update, NpgsqlDbType.Uuid);
                    await copy.WriteAsync(incident, NpgsqlDbType.Uuid);
                    await copy.WriteAsync(SubscriberId(i), NpgsqlDbType.Uuid);
                    await copy.WriteAsync(channel, NpgsqlDbType.Varchar);
                    await copy.WriteAsync(address, NpgsqlDbType.Varchar);
                    await copy.WriteAsync(status, NpgsqlDbType.Varchar);
                    await copy.WriteAsync(provider, NpgsqlDbType.Varchar);
                    if (status == "failed")
                    {
                        await copy.WriteNullAsync();
                        await copy.WriteAsync(3, NpgsqlDbType.Integer);
                        await copy.WriteAsync("550 5.1.1 mailbox unavailable", NpgsqlDbType.Varchar);
                        await copy.WriteAsync(at.UtcDateTime, NpgsqlDbType.TimestampTz);
                        await copy.WriteNullAsync();
                        await copy.WriteNullAsync();
                        if (attempts.Count < 300_000)
                        {
                            // A failed delivery's three tries, each a request of its own (its batch's other deliveries were sent).
                            attempts.AddRange([(id, update, channel, i / 1000, at, 1), (id, update, channel, i / 1000, at.AddSeconds(30), 2),
                                (id, update, channel, i / 1000, at.AddMinutes(5), 3)]);
                        }
                    }
                    else
                    {
                        await copy.WriteAsync($"msg-{id:N}", NpgsqlDbType.Varchar);
                        await copy.WriteAsync(1, NpgsqlDbType.Integer);
                        await copy.WriteNullAsync();
                        await copy.WriteAsync(at.UtcDateTime, NpgsqlDbType.TimestampTz);
                        await copy.WriteAsync(at.AddSeconds(2).UtcDateTime, NpgsqlDbType.TimestampTz);
                        await WriteTimeAsync(copy, status == "delivered" ? at.AddSeconds(9) : null);
                    }
                    await copy.WriteAsync(i / 1000, NpgsqlDbType.Integer);
                }
            }
            await copy.CompleteAsync();
        });
        await using (var connection = await OpenAsync())
        await using (var copy = await connection.BeginBinaryImportAsync(
                         "COPY delivery_attempts (update_id, channel, batch, delivery_ids, number, at, provider, outcome, http_status, error_code, error, latency_ms) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var (delivery, update, channel, batch, at, number) in attempts)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(update, NpgsqlDbType.Uuid);
                await copy.WriteAsync(channel, NpgsqlDbType.Varchar);
                await copy.WriteAsync(batch, NpgsqlDbType.Integer);
                await copy.WriteAsync(new[] { delivery }, NpgsqlDbType.Array | NpgsqlDbType.Uuid);
                await copy.WriteAsync(number, NpgsqlDbType.Integer);
                await copy.WriteAsync(at.UtcDateTime, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync("sendgrid", NpgsqlDbType.Varchar);
                await copy.WriteAsync(number < 3 ? "queued" : "failed", NpgsqlDbType.Varchar);
                await copy.WriteAsync(number < 3 ? 503 : 550, NpgsqlDbType.Integer);
                await copy.WriteAsync(number < 3 ? "transient" : "mailbox_unavailable", NpgsqlDbType.Varchar);
                await copy.WriteAsync(number < 3 ? "503 service unavailable" : "550 5.1.1 mailbox unavailable", NpgsqlDbType.Varchar);
                await copy.WriteAsync(120 + number, NpgsqlDbType.Integer);
            }
            await copy.CompleteAsync();
        }
        Console.WriteLine($"  {(long)subscribers * updates.Count:N0} deliveries, {attempts.Count:N0} attempts in {watch.Elapsed.TotalSeconds:F0} s");
    }

    public async Task AuditAsync(int count)
    {
        await using var connection = await OpenAsync();
        await using var copy = await connection.BeginBinaryImportAsync("COPY audit_entries (at, actor, action, subject, source, data) FROM STDIN (FORMAT BINARY)");
        for (var i = 0; i < count; i++)
        {
            var subject = Guid.CreateVersion7().ToString();
            await copy.StartRowAsync();
            await copy.WriteAsync(Start.AddSeconds(i).UtcDateTime, NpgsqlDbType.TimestampTz);
            await copy.WriteAsync(i % 10 == 0 ? "operator:ann@example.com" : "system", NpgsqlDbType.Varchar);
            await copy.WriteAsync(i % 10 == 0 ? "admin.post" : "delivery.sent", NpgsqlDbType.Varchar);
            await copy.WriteAsync(subject, NpgsqlDbType.Varchar);
            await copy.WriteNullAsync();
            await copy.WriteAsync($$"""{"status":"sent","deliveries":["{{subject}}"]}""", NpgsqlDbType.Text);
        }
        await copy.CompleteAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = await OpenAsync();
        return (T)(await new NpgsqlCommand(sql, connection).ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await new NpgsqlCommand(sql, connection) { CommandTimeout = 0 }.ExecuteNonQueryAsync();
    }

    private Guid[] _subscriberIds = [];

    /// <summary>Ids in creation order (UUIDv7 on the subscriber's creation time, random bits after), as the product makes them.</summary>
    private Guid SubscriberId(int i) => _subscriberIds[i];

    private static Task WriteTimeAsync(NpgsqlBinaryImporter copy, DateTimeOffset? at) =>
        at is { } t ? copy.WriteAsync(t.UtcDateTime, NpgsqlDbType.TimestampTz) : copy.WriteNullAsync();

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }

    private async Task WithoutIndexesAsync(string table, Func<NpgsqlConnection, Task> load)
    {
        await using var connection = await OpenAsync();
        var definitions = new List<(string Name, string Definition)>();
        await using (var read = await new NpgsqlCommand(
                         $"SELECT indexname, indexdef FROM pg_indexes WHERE tablename = '{table}' AND indexname NOT LIKE 'pk\\_%'", connection).ExecuteReaderAsync())
        {
            while (await read.ReadAsync())
            {
                definitions.Add((read.GetString(0), read.GetString(1)));
            }
        }
        foreach (var (name, _) in definitions)
        {
            await new NpgsqlCommand($"DROP INDEX {name}", connection).ExecuteNonQueryAsync();
        }
        await load(connection);
        var watch = Stopwatch.StartNew();
        await new NpgsqlCommand("SET maintenance_work_mem = '512MB'", connection).ExecuteNonQueryAsync();
        foreach (var (_, definition) in definitions)
        {
            await new NpgsqlCommand(definition, connection) { CommandTimeout = 0 }.ExecuteNonQueryAsync();
        }
        await new NpgsqlCommand($"ANALYZE {table}", connection) { CommandTimeout = 0 }.ExecuteNonQueryAsync();
        Console.WriteLine($"  {table}: {definitions.Count} indexes rebuilt in {watch.Elapsed.TotalSeconds:F0} s");
    }
}
