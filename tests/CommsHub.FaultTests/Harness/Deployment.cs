using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using FanOutBench.Driver;
using FanOutBench.Fakes;
using FanOutBench.Host;

namespace CommsHub.FaultTests.Harness;

/// <summary>
/// CommsHub in its production topology on the fault pair: the API (<c>Roles=api</c>) and the worker
/// as two processes started from their build output, each with its own log, a fresh database and
/// virtual host, and loopback provider fakes that count every recipient they accept. Either
/// process can be killed (SIGKILL), stopped gracefully, paused and started again.
/// </summary>
public sealed class Deployment : IAsyncDisposable
{
    public const string Key = "fault-suite-admin-key-0123456789";

    private readonly Infra _infra;
    private readonly Dictionary<string, string> _env;
    private readonly string _logs;
    private int _apiStarts;
    private int _workerStarts;

    private Deployment(Infra infra, ProviderFakes fakes, string name, int port, Dictionary<string, string> env, string logs)
    {
        _infra = infra;
        Fakes = fakes;
        Database = name;
        Port = port;
        _env = env;
        _logs = logs;
        Admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        Driver = new FanOutDriver(Admin, infra.Database(name), fakes);
    }

    public ProviderFakes Fakes { get; }
    public string Database { get; }
    public string VirtualHost => Database;
    public int Port { get; }
    public HttpClient Admin { get; }
    public FanOutDriver Driver { get; }
    public HostProcess? Api { get; private set; }
    public HostProcess? Worker { get; private set; }
    public string ConnectionString => _infra.Database(Database);

    /// <summary>Configuration both processes get (environment variable names, <c>__</c> for <c>:</c>).</summary>
    public IReadOnlyDictionary<string, string> Environment => _env;

    // Keys with dots cannot travel as environment variables through the shell that starts the process: command-line arguments.
    private const string QuietLogs = "--Logging:LogLevel:Microsoft.AspNetCore=Warning --Logging:LogLevel:Microsoft.EntityFrameworkCore=Warning "
                                     + "--Logging:LogLevel:System.Net.Http.HttpClient=Warning";

    private static string Configuration => new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // bin/<Configuration>/net10.0

    private static string BuildOutput(string project) =>
        Path.Combine(FaultPair.RepoRoot, "src", project, "bin", Configuration, "net10.0");

    /// <param name="settings">Extra configuration for both processes, as environment variables (<c>Outbox__PollInterval</c>).</param>
    /// <param name="infra">The servers to run on, when not the fault pair's (a PostgreSQL failover pair, say).</param>
    public static async Task<Deployment> CreateAsync(FaultPair pair, string name, IReadOnlyDictionary<string, string>? settings = null, Infra? infra = null)
    {
        infra ??= pair.Infra;
        var database = $"fault_{name}_{Guid.NewGuid():N}"[..40].ToLowerInvariant();
        await infra.RecreateDatabaseAsync(database);
        await infra.RecreateVirtualHostAsync(database);
        var fakes = await ProviderFakes.StartAsync();
        var port = Topology.FreePort();
        var env = Topology.Environment(infra, fakes, 1000, database, database, Key, port);
        env["Outbox__PollInterval"] = "00:00:00.200";
        env["Logging__LogLevel__Default"] = "Information";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }
        var logs = Path.Combine(FaultPair.RepoRoot, "TestResults", "faults", $"{DateTime.UtcNow:HHmmss}-{name}");
        Directory.CreateDirectory(logs);
        return new Deployment(infra, fakes, database, port, env, logs);
    }

    /// <summary>Starts the API and waits until it answers <c>/health/ready</c>.</summary>
    public async Task StartApiAsync(IReadOnlyDictionary<string, string>? overrides = null)
    {
        var env = new Dictionary<string, string>(_env) { ["Roles"] = "api" };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }
        var n = ++_apiStarts;
        Api = HostProcess.Start("api", BuildOutput("CommsHub.Api"), "CommsHub.Api.dll", env,
            $"--urls http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)} {QuietLogs}", Path.Combine(_logs, $"api-{n}.log"));
        await Topology.WaitReadyAsync(Admin, Api);
    }

    /// <summary>
    /// Another API process beside <see cref="Api"/>, on its own port, once it answers <c>/health/ready</c>.
    /// The caller stops it (<see cref="DisposeAsync"/> stops only <see cref="Api"/> and <see cref="Worker"/>).
    /// </summary>
    public async Task<HostProcess> StartAnotherApiAsync(IReadOnlyDictionary<string, string>? overrides = null)
    {
        var port = Topology.FreePort();
        var env = new Dictionary<string, string>(_env) { ["Roles"] = "api" };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }
        var n = ++_apiStarts;
        var api = HostProcess.Start("api", BuildOutput("CommsHub.Api"), "CommsHub.Api.dll", env,
            $"--urls http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)} {QuietLogs}", Path.Combine(_logs, $"api-{n}.log"));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        await Topology.WaitReadyAsync(http, api);
        return api;
    }

    /// <summary>Starts the worker and waits until the planner and the senders of <paramref name="audience"/>'s channels consume.</summary>
    public async Task StartWorkerAsync(Audience audience, IReadOnlyDictionary<string, string>? overrides = null)
    {
        Worker = StartWorkerProcess(overrides);
        await Topology.WaitConsumingAsync(_infra, VirtualHost, Worker, audience);
    }

    /// <summary>Starts the worker without waiting for it (it may be meant to wait for a broker or database that is down).</summary>
    public HostProcess StartWorkerProcess(IReadOnlyDictionary<string, string>? overrides = null)
    {
        var env = new Dictionary<string, string>(_env);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }
        var n = ++_workerStarts;
        Worker = HostProcess.Start("worker", BuildOutput("CommsHub.Worker"), "CommsHub.Worker.dll", env, QuietLogs, Path.Combine(_logs, $"worker-{n}.log"));
        return Worker;
    }

    /// <summary>Recent lines of every log of this deployment, for a failure message.</summary>
    public string Logs(int lines = 15) => string.Join('\n', Directory.GetFiles(_logs, "*.log").Order()
        .Select(f => $"--- {Path.GetFileName(f)}\n" + string.Join('\n', File.ReadLines(f).TakeLast(lines))));

    public async Task<T> ScalarAsync<T>(string sql) => await _infra.ScalarAsync<T>(sql, Database);

    public async ValueTask DisposeAsync()
    {
        var stops = new List<Task>();
        if (Api is not null)
        {
            stops.Add(Api.StopAsync(TimeSpan.FromSeconds(5)));
        }
        if (Worker is not null)
        {
            stops.Add(Worker.StopAsync(TimeSpan.FromSeconds(5)));
        }
        await Task.WhenAll(stops);
        Admin.Dispose();
        await Fakes.DisposeAsync();
        try
        {
            await _infra.DeleteVirtualHostAsync(VirtualHost);
            await _infra.DropDatabaseAsync(Database);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or HttpRequestException)
        {
            // A test that failed with a server down: the next EnsureUp and a new name keep the suite going.
        }
    }
}

/// <summary>Monotonic time, the fakes' clock (<see cref="Stopwatch.GetTimestamp"/>).</summary>
public static class Clock
{
    public static long Now => Stopwatch.GetTimestamp();

    public static double SecondsBetween(long from, long to) => (to - from) / (double)Stopwatch.Frequency;
}
