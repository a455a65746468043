using System.Net.Http.Headers;
using System.Text;
using Npgsql;

namespace CommsHub.Testing;

/// <summary>
/// A private PostgreSQL database and RabbitMQ virtual host for one test, on the servers that
/// ./test.sh starts on loopback (deploy/local-infra.sh). Missing servers fail the test loudly:
/// this tier never skips.
/// </summary>
public sealed class Infrastructure : IAsyncDisposable
{
    private readonly string _adminConnectionString;
    private readonly HttpClient _management;

    private Infrastructure(string adminConnectionString, HttpClient management, string database, string vhost, string postgres, string rabbit)
    {
        _adminConnectionString = adminConnectionString;
        _management = management;
        Database = database;
        VirtualHost = vhost;
        PostgresConnectionString = postgres;
        RabbitMqUri = rabbit;
    }

    public string Database { get; }
    public string VirtualHost { get; }
    public string PostgresConnectionString { get; }
    public string RabbitMqUri { get; }

    public Dictionary<string, string?> Settings() => new()
    {
        ["Database:Provider"] = "PostgreSql",
        ["ConnectionStrings:CommsHub"] = PostgresConnectionString,
        ["ConnectionStrings:RabbitMq"] = RabbitMqUri,
        ["Outbox:PollInterval"] = "00:00:00.200",
    };

    public static async Task<Infrastructure> CreateAsync()
    {
        var postgres = Required("COMMSHUB_TEST_POSTGRES");
        var rabbit = Required("COMMSHUB_TEST_RABBITMQ");
        var managementUrl = Required("COMMSHUB_TEST_RABBITMQ_MANAGEMENT");
        var name = $"commshub_it_{Guid.NewGuid():N}";

        await using (var connection = new NpgsqlConnection(postgres))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        var rabbitUri = new Uri(rabbit);
        var management = new HttpClient { BaseAddress = new Uri(managementUrl) };
        var user = Uri.UnescapeDataString(rabbitUri.UserInfo.Split(':')[0]);
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(rabbitUri.UserInfo))));
        (await management.PutAsync($"/api/vhosts/{name}", null)).EnsureSuccessStatusCode();
        (await management.PutAsync($"/api/permissions/{name}/{Uri.EscapeDataString(user)}",
            new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();

        var database = new NpgsqlConnectionStringBuilder(postgres) { Database = name, MaxPoolSize = 50 }.ConnectionString;
        var vhostUri = new UriBuilder(rabbitUri) { Path = "/" + name }.Uri.ToString();
        return new Infrastructure(postgres, management, name, name, database, vhostUri);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using (var connection = new NpgsqlConnection(_adminConnectionString))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Database}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        await _management.DeleteAsync($"/api/vhosts/{VirtualHost}");
        _management.Dispose();
    }

    private static string Required(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{variable} is not set. The integration tests need the PostgreSQL and RabbitMQ that ./test.sh starts; " +
                "run ./test.sh, or `eval \"$(deploy/local-infra.sh env)\"` after `deploy/local-infra.sh start`.");
}
