using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;

namespace FanOutBench.Host;

/// <summary>
/// The PostgreSQL server and RabbitMQ broker that deploy/local-infra.sh runs: fresh databases and
/// virtual hosts, and what the bench reads from them (commit counters, queues).
/// </summary>
public sealed class Infra : IDisposable
{
    private readonly string _admin;
    private readonly HttpClient _management;

    public Infra(string postgresAdmin, string rabbitUri, string managementUrl)
    {
        _admin = postgresAdmin;
        Rabbit = new Uri(rabbitUri);
        _management = new HttpClient { BaseAddress = new Uri(managementUrl), Timeout = TimeSpan.FromSeconds(30) };
        _management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(Rabbit.UserInfo))));
    }

    public Uri Rabbit { get; }
    public string ManagementUrl => _management.BaseAddress!.ToString();
    public string RabbitUser => Uri.UnescapeDataString(Rabbit.UserInfo.Split(':')[0]);
    public string RabbitPassword => Uri.UnescapeDataString(Rabbit.UserInfo.Split(':', 2).ElementAtOrDefault(1) ?? "guest");

    public string Database(string name) => new NpgsqlConnectionStringBuilder(_admin) { Database = name }.ConnectionString;

    public string VirtualHostUri(string vhost) => new UriBuilder(Rabbit) { Path = "/" + Uri.EscapeDataString(vhost) }.Uri.ToString();

    public async Task RecreateDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var db = new NpgsqlConnection(_admin);
        await db.OpenAsync();
        foreach (var sql in new[] { $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", $"CREATE DATABASE \"{name}\"" })
        {
            await using var cmd = new NpgsqlCommand(sql, db);
            await cmd.ExecuteNonQueryAsync();
        }
    }

    public async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var db = new NpgsqlConnection(_admin);
        await db.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", db);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql, string? database = null)
    {
        await using var db = new NpgsqlConnection(database is null ? _admin : Database(database));
        await db.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, db);
        return (T)Convert.ChangeType((await cmd.ExecuteScalarAsync())!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task ExecuteAsync(string sql, string database)
    {
        await using var db = new NpgsqlConnection(Database(database));
        await db.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, db) { CommandTimeout = 600 };
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Transactions committed in a database so far (pg_stat_database, read through the admin database so the read is not one of them).</summary>
    public async Task<long> CommitsAsync(string database)
    {
        await using var db = new NpgsqlConnection(_admin);
        await db.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT pg_stat_clear_snapshot(); SELECT xact_commit FROM pg_stat_database WHERE datname = @d", db);
        cmd.Parameters.AddWithValue("d", database);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.NextResultAsync();
        await reader.ReadAsync();
        return reader.GetInt64(0);
    }

    public async Task RecreateVirtualHostAsync(string vhost)
    {
        await _management.DeleteAsync($"/api/vhosts/{Uri.EscapeDataString(vhost)}");
        (await _management.PutAsync($"/api/vhosts/{Uri.EscapeDataString(vhost)}", null)).EnsureSuccessStatusCode();
        (await _management.PutAsync($"/api/permissions/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(RabbitUser)}",
            new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
    }

    public async Task DeleteVirtualHostAsync(string vhost) => await _management.DeleteAsync($"/api/vhosts/{Uri.EscapeDataString(vhost)}");

    /// <summary>Queue name → (messages, consumers) in a virtual host. The management API's counters lag a few seconds.</summary>
    public async Task<Dictionary<string, (long Messages, long Consumers)>> QueuesAsync(string vhost)
    {
        var queues = await _management.GetFromJsonAsync<JsonArray>($"/api/queues/{Uri.EscapeDataString(vhost)}") ?? [];
        return queues.Where(q => q is not null).ToDictionary(
            q => q!["name"]!.GetValue<string>(),
            q => (q!["messages"]?.GetValue<long>() ?? 0, q["consumers"]?.GetValue<long>() ?? 0));
    }

    public async Task<string> RabbitVersionAsync()
    {
        try
        {
            return (await _management.GetFromJsonAsync<JsonObject>("/api/overview"))?["rabbitmq_version"]?.GetValue<string>() ?? "?";
        }
        catch (HttpRequestException)
        {
            return "?";
        }
    }

    public void Dispose() => _management.Dispose();
}
