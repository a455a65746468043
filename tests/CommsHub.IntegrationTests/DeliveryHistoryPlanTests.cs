using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Telemetry;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.IntegrationTests;

/// <summary>
/// With many older deliveries in the table, the statements of a fan-out and of an update's report reach
/// the present rows through an index: none reads the history (docs/benchmarks.md, "History does not slow the present").
/// </summary>
public sealed class DeliveryHistoryPlanTests : IAsyncLifetime
{
    private const int History = 200_000;
    private static readonly Guid UpdateId = Guid.CreateVersion7();
    private static readonly Guid Token = Guid.CreateVersion7();
    private Infrastructure _infra = null!;
    private CommsHubApp _app = null!;

    public async Task InitializeAsync()
    {
        _infra = await Infrastructure.CreateAsync();
        _app = new CommsHubApp(_infra.Settings());
        await using var scope = _app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>().Database;
        // 200,000 rows and their indexes: well past the 30 s default on a machine busy with the fault suite.
        db.SetCommandTimeout(TimeSpan.FromMinutes(10));
        // Past updates' rows (10,000 each, sent, ids older than every current one), then the present: one update's
        // 2,000 queued deliveries in two batches, the first of them leased.
        await db.ExecuteSqlRawAsync("""
            INSERT INTO deliveries (id, update_id, incident_id, subscriber_id, channel, recipient, status, provider,
                                    provider_message_id, attempts, created_at, sent_at, batch)
            SELECT (lpad(to_hex((extract(epoch FROM ts) * 1000)::bigint), 12, '0') || '7' || substr(md5(g::text), 1, 3) || '8'
                    || substr(md5(g::text), 4, 15))::uuid,
                   md5('update' || (g / 10000))::uuid, md5('incident' || (g / 10000))::uuid, md5('subscriber' || g)::uuid,
                   'email', 'old-' || g || '@example.com', 'sent', 'sendgrid', 'hist-' || g, 1, ts, ts, 1 + (g % 10000) / 1000
            FROM (SELECT g, now() - interval '30 days' + g * interval '1 ms' AS ts FROM generate_series(1, {0}) AS g) AS h
            """, History);
        // The statistics know the history only, as during a fan-out until autovacuum comes (a plan does not analyse).
        await db.ExecuteSqlRawAsync("ANALYZE deliveries");
        await db.ExecuteSqlRawAsync("""
            INSERT INTO deliveries (id, update_id, incident_id, subscriber_id, channel, recipient, status, attempts, created_at, batch,
                                    lease_token, lease_until)
            SELECT gen_random_uuid(), {0}, {0}, gen_random_uuid(), 'email', 'now-' || g || '@example.com', 'queued', 0, now(), 1 + g / 1000,
                   CASE WHEN g < 1000 THEN {1}::uuid END, CASE WHEN g < 1000 THEN now() + interval '2 minutes' END
            FROM generate_series(0, 1999) AS g
            """, UpdateId, Token);
        await db.ExecuteSqlRawAsync("""
            INSERT INTO open_batches (update_id, channel, batch, created_at) VALUES ({0}, 'email', 1, now()), ({0}, 'email', 2, now())
            """, UpdateId);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _infra.DisposeAsync();
    }

    private Task<string> PlanAsync(string sql) => PlanAsync(db =>
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql.Replace("@update", $"'{UpdateId}'").Replace("@token", $"'{Token}'");
        return command;
    });

    // One database for all statements: the history is inserted once.
    private static readonly Dictionary<string, string> Statements = new()
    {
        // DeliveryLeases.ClaimAsync
        ["claim"] = """
            UPDATE deliveries SET previous_lease_token = lease_token, lease_token = gen_random_uuid(), attempts = attempts + 1
            WHERE update_id = @update AND channel = 'email' AND batch = 2 AND status = 'queued'
              AND (lease_until IS NULL OR lease_until < now()) AND (next_attempt_at IS NULL OR next_attempt_at <= now())
            RETURNING id
            """,
        // CompleteAsync (its read and its update), RenewAsync, DeferAsync
        ["lease"] = "UPDATE deliveries SET lease_until = now() WHERE update_id = @update AND channel = 'email' AND batch = 1 AND lease_token = @token",
        // ForgetMarkAsync: is anything of the lease still held
        ["forget"] = "DELETE FROM in_flight_marks WHERE lease_token = @token AND NOT EXISTS (SELECT 1 FROM deliveries WHERE update_id = @update AND channel = 'email' AND batch = 1 AND lease_token = @token)",
        ["outcome"] = "SELECT id, attempts FROM deliveries WHERE update_id = @update AND channel = 'email' AND batch = 1 AND lease_token = @token AND status = 'queued'",
        // DeliveryRedrive: the batches with retries due, and the open batches' stranded deliveries
        ["redrive retries"] = """
            SELECT update_id, channel, batch, max(next_attempt_at) FROM deliveries
            WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= now() AND status = 'queued' AND (lease_until IS NULL OR lease_until < now())
            GROUP BY update_id, channel, batch ORDER BY update_id, batch LIMIT 500
            """,
        // BatchBook.CloseSettledAsync
        ["close settled batches"] = """
            DELETE FROM open_batches AS b WHERE b.created_at < now() AND (b.check_after IS NULL OR b.check_after <= now())
              AND (SELECT 1 FROM deliveries AS d WHERE d.update_id = b.update_id AND d.channel = b.channel AND d.batch = b.batch AND d.status = 'queued'
                   LIMIT 1) IS NULL
            """,
        // CompleteAsync and the other outcomes: is the batch settled (BatchBook.CloseIfSettledAsync)
        ["close batch"] = """
            DELETE FROM open_batches AS b WHERE b.update_id = @update AND b.channel = 'email' AND b.batch = 1
              AND NOT EXISTS (SELECT 1 FROM deliveries AS d WHERE d.update_id = @update AND d.channel = 'email' AND d.batch = 1 AND d.status = 'queued')
            """,
        // DeliveryQueries.ReportAsync (the tallies)
        ["report"] = "SELECT channel, status, count(*) FROM deliveries WHERE update_id = @update GROUP BY channel, status",
        // An update's deliveries, a page by id (the console, the API, the CSV export)
        ["page"] = "SELECT * FROM deliveries WHERE update_id = @update ORDER BY id LIMIT 101",
        ["page by status"] = "SELECT * FROM deliveries WHERE update_id = @update AND status = 'queued' ORDER BY id LIMIT 101",
    };

    // Queries the product builds with EF, planned as it sends them (with their parameters).
    private static readonly Dictionary<string, Func<CommsHubDbContext, IQueryable>> Queries = new()
    {
        // DeliveryRedrive: the open batches with a delivery stranded (or exhausted) in them
        ["redrive open batches"] = db => DeliveryRedrive.InOpenBatches(db, BatchBook.Due(db.OpenBatches, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null),
            d => d.LeaseUntil == null || d.LeaseUntil < DateTimeOffset.UtcNow).Select(b => new { b.UpdateId, b.Channel, b.Batch }),
        // TelemetrySampler: commshub_deliveries_queued and commshub_deliveries_in_doubt (each summed)
        ["queued gauge"] = TelemetrySampler.QueuedPerOpenBatch,
        ["in-doubt gauge"] = db => TelemetrySampler.InDoubtPerMark(db, DateTimeOffset.UtcNow),
    };

    private Task<string> PlanAsync(Func<CommsHubDbContext, IQueryable> query) => PlanAsync(db => query(db).CreateDbCommand());

    /// <summary>PostgreSQL's plan of a command, as the product would send it (its parameters bound).</summary>
    private async Task<string> PlanAsync(Func<CommsHubDbContext, System.Data.Common.DbCommand> build)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        await db.Database.OpenConnectionAsync();
        await using var command = build(db);
        command.CommandText = "EXPLAIN (COSTS OFF) " + command.CommandText;
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }
        return string.Join('\n', lines);
    }

    // The statements that name a batch: each reads its batch alone, not the whole update.
    private static readonly string[] ByBatch = ["claim", "lease", "forget", "outcome", "close batch", "close settled batches", "redrive open batches", "queued gauge", "in-doubt gauge"];

    [Fact]
    public async Task Every_statement_reaches_the_present_through_an_index_before_and_after_the_statistics_know_it()
    {
        // First as during a fan-out (the statistics know nothing of the present update: one row estimated for it),
        // then as after autovacuum's analyse.
        foreach (var analysed in new[] { false, true })
        {
            if (analysed)
            {
                await using var scope = _app.Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>().Database;
                await db.ExecuteSqlRawAsync("ANALYZE deliveries");
                await db.ExecuteSqlRawAsync("ANALYZE open_batches");
            }
            var plans = new List<(string Name, string Plan)>();
            foreach (var (name, sql) in Statements)
            {
                plans.Add((name, await PlanAsync(sql)));
            }
            foreach (var (name, query) in Queries)
            {
                plans.Add((name, await PlanAsync(query)));
            }
            foreach (var (name, plan) in plans)
            {
                var state = analysed ? "analysed" : "not analysed";

                Assert.False(plan.Contains("Seq Scan on deliveries", StringComparison.Ordinal), $"{name}, {state}: {plan}");
                // Walking the primary key in id order reads the whole history before this update's rows.
                Assert.False(plan.Contains("pk_deliveries", StringComparison.Ordinal), $"{name}, {state}: {plan}");
                if (ByBatch.Contains(name))
                {
                    Assert.True(plan.Contains("ix_deliveries_batches", StringComparison.Ordinal), $"{name}, {state}: {plan}");
                }
            }
        }
    }
}
