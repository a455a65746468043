using System.Diagnostics;
using System.Globalization;
using CommsHub.Core.Audit;
using CommsHub.Core.Data;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

// Seeds N unchained audit entries (delivery outcomes and admin actions, as the product writes
// them) with binary COPY, then times the product's own chaining and verification.
var entries = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var admin = Environment.GetEnvironmentVariable("COMMSHUB_TEST_POSTGRES")
            ?? throw new InvalidOperationException("COMMSHUB_TEST_POSTGRES is not set: run through bench/audit/run.sh");
const string Database = "commshub_auditbench";
await using (var connection = new NpgsqlConnection(admin))
{
    await connection.OpenAsync();
    await new NpgsqlCommand($"DROP DATABASE IF EXISTS {Database} WITH (FORCE)", connection).ExecuteNonQueryAsync();
    await new NpgsqlCommand($"CREATE DATABASE {Database}", connection).ExecuteNonQueryAsync();
}
var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = Database }.ConnectionString;
var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Database:Provider"] = "PostgreSql",
    ["ConnectionStrings:CommsHub"] = connectionString,
}).Build();
var services = new ServiceCollection().AddLogging(l => l.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning))
    .AddSingleton<IConfiguration>(configuration);
services.AddCommsHubDatabase(configuration);
services.AddScoped<AuditChain>();
await using var provider = services.BuildServiceProvider();
await DatabaseSetup.MigrateAsync(provider);

var seed = Stopwatch.StartNew();
await using (var connection = new NpgsqlConnection(connectionString))
{
    await connection.OpenAsync();
    await using var copy = await connection.BeginBinaryImportAsync("COPY audit_entries (at, actor, action, subject, source, data) FROM STDIN (FORMAT BINARY)");
    var start = DateTimeOffset.UtcNow.AddDays(-1);
    for (var i = 0; i < entries; i++)
    {
        var delivery = Guid.CreateVersion7().ToString();
        await copy.StartRowAsync();
        await copy.WriteAsync(start.AddMilliseconds(i).UtcDateTime, NpgsqlDbType.TimestampTz);
        if (i % 20 == 0)
        {
            await copy.WriteAsync("api-key:3f9a1c0d2b7e", NpgsqlDbType.Varchar);
            await copy.WriteAsync("admin.post", NpgsqlDbType.Varchar);
            await copy.WriteAsync(Guid.CreateVersion7().ToString(), NpgsqlDbType.Varchar);
            await copy.WriteAsync("203.0.113.7", NpgsqlDbType.Varchar);
            await copy.WriteAsync($$"""{"error":null,"location":"/api/incidents/{{delivery}}","method":"POST","route":"/api/incidents/{id:guid}/updates","routeValues":{"id":"{{delivery}}"},"status":201}""", NpgsqlDbType.Text);
        }
        else
        {
            await copy.WriteAsync("system", NpgsqlDbType.Varchar);
            await copy.WriteAsync("delivery.sent", NpgsqlDbType.Varchar);
            await copy.WriteAsync(delivery, NpgsqlDbType.Varchar);
            await copy.WriteNullAsync();
            await copy.WriteAsync($$"""{"attempt":1,"channel":"sms","deliveries":["{{delivery}}"],"errorCode":null,"httpStatus":201,"provider":"twilio","providerMessageId":"SM{{i:D32}}","retryAt":null,"status":"sent"}""", NpgsqlDbType.Text);
        }
    }
    await copy.CompleteAsync();
}
seed.Stop();

var process = Process.GetCurrentProcess();
await using var scope = provider.CreateAsyncScope();
var chain = scope.ServiceProvider.GetRequiredService<AuditChain>();
var cpu0 = process.TotalProcessorTime;
var chaining = Stopwatch.StartNew();
var chained = await chain.ChainPendingAsync(CancellationToken.None, wait: true);
chaining.Stop();
process.Refresh();
var cpu1 = process.TotalProcessorTime;
var verifying = Stopwatch.StartNew();
var result = await chain.VerifyAsync(CancellationToken.None);
verifying.Stop();
process.Refresh();
var cpu2 = process.TotalProcessorTime;

Console.WriteLine($"entries:   {entries:N0} (seeded by COPY in {seed.Elapsed.TotalSeconds:F1} s)");
Console.WriteLine($"chain:     {chained:N0} entries in {chaining.Elapsed.TotalSeconds:F1} s ({chained / chaining.Elapsed.TotalSeconds:N0}/s), CPU {(cpu1 - cpu0).TotalSeconds:F1} s in this process");
Console.WriteLine($"verify:    valid={result.Valid}, records={result.Records:N0} in {verifying.Elapsed.TotalSeconds:F1} s ({result.Records / verifying.Elapsed.TotalSeconds:N0}/s), CPU {(cpu2 - cpu1).TotalSeconds:F1} s, peak working set {process.PeakWorkingSet64 / 1048576} MiB");
if (!result.Valid || result.Records != entries)
{
    Console.WriteLine($"FAILED: {result.Problem}");
    return 1;
}
await using (var connection = new NpgsqlConnection(admin))
{
    await connection.OpenAsync();
    await new NpgsqlCommand($"DROP DATABASE IF EXISTS {Database} WITH (FORCE)", connection).ExecuteNonQueryAsync();
}
return 0;
