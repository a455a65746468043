using System.Diagnostics;
using CommsHub.Core.Data;
using CommsHub.Core.Subscribers;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CommsHub.IntegrationTests;

/// <summary>
/// The backup procedure of docs/operations.md ("Backup and restore"): pg_dump of a running hub,
/// pg_restore into a new database, and a hub started on it still verifies its audit chain and
/// still reads the webhook secrets it encrypted (the Data Protection key ring came along).
/// </summary>
public sealed class BackupRestoreTests : IAsyncLifetime
{
    private Infrastructure _infra = null!;
    private readonly string _restored = $"commshub_restored_{Guid.NewGuid():N}";
    private readonly string _dump = Path.Combine(Path.GetTempPath(), $"commshub-{Guid.NewGuid():N}.dump");

    public async Task InitializeAsync() => _infra = await Infrastructure.CreateAsync();

    public async Task DisposeAsync()
    {
        File.Delete(_dump);
        NpgsqlConnection.ClearAllPools();
        await Admin($"DROP DATABASE IF EXISTS \"{_restored}\" WITH (FORCE)");
        await _infra.DisposeAsync();
    }

    private Dictionary<string, string?> Settings(string connectionString)
    {
        var settings = _infra.Settings();
        settings["ConnectionStrings:CommsHub"] = connectionString;
        settings["Webhooks:AllowPrivateTargets"] = "true";
        return settings;
    }

    [Fact]
    public async Task A_hub_restored_from_pg_dump_verifies_its_audit_chain_and_decrypts_its_webhook_secrets()
    {
        string secret;
        Guid subscriber;
        long records;
        await using (var hub = new CommsHubApp(Settings(_infra.PostgresConnectionString)))
        {
            using var admin = hub.Admin();
            await admin.CreateComponentAsync("API");
            var created = await admin.PostAsync("/api/subscribers", new { webhookUrl = "http://127.0.0.1:9/hook", confirmed = true });
            secret = created["secret"]!.GetValue<string>();
            subscriber = Guid.Parse(created["id"]!.GetValue<string>());
            records = (await admin.GetJsonAsync("/api/audit/verify"))["records"]!.GetValue<long>();
            Assert.True(records >= 2);

            // Dumped while the hub runs, as a nightly backup would be.
            await Run("pg_dump", "--format=custom", "--file", _dump, "--dbname", _infra.Database);
        }

        await Admin($"CREATE DATABASE \"{_restored}\"");
        await Run("pg_restore", "--no-owner", "--exit-on-error", "--dbname", _restored, _dump);

        var restored = new NpgsqlConnectionStringBuilder(_infra.PostgresConnectionString) { Database = _restored }.ConnectionString;
        await using var again = new CommsHubApp(Settings(restored));
        using var client = again.Admin();
        var verify = await client.GetJsonAsync("/api/audit/verify");
        Assert.True(verify["valid"]!.GetValue<bool>(), verify.ToJsonString());
        Assert.True(verify["records"]!.GetValue<long>() >= records, verify.ToJsonString());
        await using var scope = again.Services.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<CommsHubDbContext>().Subscribers.SingleAsync(s => s.Id == subscriber);
        Assert.Equal(secret, scope.ServiceProvider.GetRequiredService<SubscriberSecrets>().Reveal(stored));
    }

    private static async Task Admin(string sql)
    {
        await using var connection = new NpgsqlConnection(Environment.GetEnvironmentVariable("COMMSHUB_TEST_POSTGRES"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A PostgreSQL client tool of the server's own installation (the one deploy/local-infra.sh runs).</summary>
    private static async Task Run(string tool, params string[] arguments)
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, tool))).OrderBy(d => int.Parse(Path.GetFileName(Path.GetDirectoryName(d)!), System.Globalization.CultureInfo.InvariantCulture))
            .LastOrDefault() ?? throw new InvalidOperationException($"{tool} not found under /usr/lib/postgresql/*/bin: run deploy/local-infra.sh start, which installs PostgreSQL.");
        var server = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("COMMSHUB_TEST_POSTGRES"));
        var start = new ProcessStartInfo(Path.Combine(bin, tool)) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "--host", server.Host!, "--port", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--username", server.Username! }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["PGPASSWORD"] = server.Password;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(process.ExitCode == 0, $"{tool} failed ({process.ExitCode}): {await error}");
    }
}
