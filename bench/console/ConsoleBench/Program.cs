using System.Diagnostics;
using System.Globalization;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using ConsoleBench;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

// bench/console/run.sh [subscribers] [requests-per-page]: seeds, starts the host, times each console page.
var subscribers = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var requests = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
const int Updates = 10;
var admin = Environment.GetEnvironmentVariable("COMMSHUB_TEST_POSTGRES")
            ?? throw new InvalidOperationException("COMMSHUB_TEST_POSTGRES is not set: run through bench/console/run.sh");
const string Database = "commshub_consolebench";
await using (var connection = new NpgsqlConnection(admin))
{
    await connection.OpenAsync();
    await new NpgsqlCommand($"DROP DATABASE IF EXISTS {Database} WITH (FORCE)", connection).ExecuteNonQueryAsync();
    await new NpgsqlCommand($"CREATE DATABASE {Database}", connection).ExecuteNonQueryAsync();
}
var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = Database, CommandTimeout = 0 }.ConnectionString;
var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Database:Provider"] = "PostgreSql",
    ["ConnectionStrings:CommsHub"] = connectionString,
}).Build();
var services = new ServiceCollection().AddLogging(l => l.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning)).AddSingleton<IConfiguration>(configuration);
services.AddCommsHubDatabase(configuration);
await using (var provider = services.BuildServiceProvider())
{
    await DatabaseSetup.MigrateAsync(provider);
}

Console.WriteLine($"Seeding {subscribers:N0} subscribers and {(long)subscribers * Updates:N0} deliveries");
var total = Stopwatch.StartNew();
var seed = new Seed(connectionString);
await using var host = new Host(connectionString);
await host.StartAsync();
var components = new List<Guid>();
for (var i = 0; i < 10; i++)
{
    components.Add(Guid.Parse((await host.PostAsync("/api/components", new { name = $"Component {i}" }))["id"]!.GetValue<string>()));
}
await seed.SubscribersAsync(subscribers, components);
// 100 incidents (the list pages), the last ten with one update each that reached every subscriber.
var updates = new List<(Guid Update, Guid Incident, DateTimeOffset At)>();
for (var i = 0; i < 100; i++)
{
    var incident = await host.PostAsync("/api/incidents", new
    {
        title = $"Incident {i}", message = "We are looking into it.", impact = "minor", notify = false,
        components = new[] { new { id = components[i % 10], status = "degraded_performance" } },
    });
    if (i >= 100 - Updates)
    {
        var update = incident["updates"]![0]!;
        updates.Add((Guid.Parse(update["id"]!.GetValue<string>()), Guid.Parse(incident["id"]!.GetValue<string>()),
            DateTimeOffset.Parse(update["createdAt"]!.GetValue<string>(), CultureInfo.InvariantCulture)));
    }
}
await seed.DeliveriesAsync(subscribers, updates);
await seed.AuditAsync(100_000);
// The ten updates as a real fan-out leaves them: notifying, planned (the incidents were made with notify off
// so that no planner ran against the seeded rows).
await seed.ExecuteAsync("UPDATE incident_updates SET notify = true, planned_at = created_at WHERE id IN ("
                        + string.Join(", ", updates.Select(u => $"'{u.Update}'")) + ")");
await seed.ExecuteAsync("VACUUM ANALYZE");
Console.WriteLine($"Seeded in {total.Elapsed.TotalSeconds:F0} s");

// What the worker's delivery-tallies job does after a fan-out: the console then reads these counts.
services.AddSingleton(TimeProvider.System).AddScoped<DeliveryQueries>().AddScoped<DeliveryTallies>();
await using (var provider = services.BuildServiceProvider())
{
    var counting = Stopwatch.StartNew();
    var counted = 0;
    while (true)
    {
        await using var scope = provider.CreateAsyncScope();
        var n = await scope.ServiceProvider.GetRequiredService<DeliveryTallies>().RefreshAsync(CancellationToken.None);
        if (n == 0)
        {
            break;
        }
        counted += n;
    }
    Console.WriteLine($"Counted the reports of {counted} updates of {subscribers:N0} deliveries each in {counting.Elapsed.TotalSeconds:F1} s " +
                      $"({counting.Elapsed.TotalSeconds / Math.Max(1, counted):F1} s each: the delivery-tallies job's work per update)");
}

var browser = await host.SignInAsync();
var deepSubscriber = await seed.ScalarAsync<Guid>($"SELECT id FROM subscribers ORDER BY id OFFSET {subscribers * 9 / 10} LIMIT 1");
var deepDelivery = await seed.ScalarAsync<Guid>($"SELECT id FROM deliveries ORDER BY id OFFSET {(long)subscribers * Updates * 9 / 10} LIMIT 1");
var failed = await seed.ScalarAsync<Guid>($"SELECT id FROM deliveries WHERE update_id = '{updates[^1].Update}' AND status = 'failed' LIMIT 1");
var deepAudit = await seed.ScalarAsync<long>("SELECT id FROM audit_entries ORDER BY id OFFSET 1000 LIMIT 1");
var (_, someAddress) = Seed.Address(subscribers / 2 + 3);
var pages = new (string Name, string Path)[]
{
    ("home", "/console"),
    ("incidents", "/console/incidents"),
    ("incident", $"/console/incidents/{updates[^1].Incident}"),
    ("subscribers", "/console/subscribers"),
    ("subscribers deep page", $"/console/subscribers?cursor={deepSubscriber}"),
    ("subscribers search (prefix)", $"/console/subscribers?q={Uri.EscapeDataString(someAddress[..9])}"),
    ("subscribers search (exact)", $"/console/subscribers?q={Uri.EscapeDataString(someAddress)}&match=exact"),
    ("subscribers sms pending", "/console/subscribers?channel=sms&status=pending"),
    ("subscribers by component", $"/console/subscribers?component={components[3]}"),
    ("deliveries", "/console/deliveries"),
    ("deliveries update+failed", $"/console/deliveries?update={updates[^1].Update}&status=failed"),
    ("deliveries deep page", $"/console/deliveries?cursor={deepDelivery}"),
    ("deliveries recipient", $"/console/deliveries?recipient={Uri.EscapeDataString(someAddress)}"),
    ("delivery", $"/console/deliveries/{failed}"),
    ("audit", "/console/audit"),
    ("audit deep page", $"/console/audit?cursor={deepAudit}"),
};

Console.WriteLine();
Console.WriteLine($"{"page",-30} {"status",6} {"p50 ms",8} {"p95 ms",8} {"max ms",8}");
foreach (var (name, path) in pages)
{
    var times = new List<double>();
    var status = 0;
    for (var i = 0; i < requests + 5; i++)
    {
        var watch = Stopwatch.StartNew();
        using var response = await browser.GetAsync(path);
        await response.Content.ReadAsByteArrayAsync();
        watch.Stop();
        status = (int)response.StatusCode;
        if (i >= 5)
        {
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        // A page this slow would take minutes at the full count: a few samples say enough.
        if (i >= 25 && times.Average() > 1000)
        {
            break;
        }
    }
    times.Sort();
    Console.WriteLine($"{name,-30} {status,6} {Percentile(times, 0.50),8:F1} {Percentile(times, 0.95),8:F1} {times[^1],8:F1}");
}

static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
