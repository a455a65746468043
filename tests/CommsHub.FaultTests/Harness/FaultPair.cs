using System.Diagnostics;
using FanOutBench.Host;

namespace CommsHub.FaultTests.Harness;

/// <summary>
/// The fault suite's own PostgreSQL and RabbitMQ: a second pair run by deploy/local-infra.sh on
/// ports offset by <see cref="PortOffset"/>, with its data under .local/infra-faults. The suite
/// stops, kills and restarts these servers, never the pair the other test projects share. Started
/// once for the collection; stopped at the end only if this run started it.
/// </summary>
public sealed class FaultPair : IAsyncLifetime
{
    /// <summary>
    /// 100 unless <c>COMMSHUB_FAULT_PORT_OFFSET</c> says otherwise: two checkouts running the suite at
    /// once need different offsets (and keep clear of the cluster's 200–240), or each kills the other's servers.
    /// </summary>
    public static int PortOffset { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("COMMSHUB_FAULT_PORT_OFFSET"), out var offset) ? offset : 100;

    private readonly string _started = Path.GetTempFileName();
    private Infra? _infra;

    public static string RepoRoot { get; } = FindRepoRoot();

    public Infra Infra => _infra ?? throw new InvalidOperationException("the fault pair has not started");

    public async Task InitializeAsync()
    {
        await RunAsync("start");
        var env = await RunAsync("env");
        string Value(string name) => env.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith($"export {name}=", StringComparison.Ordinal))
            .Split('=', 2)[1].Trim('"');
        _infra = new Infra(Value("COMMSHUB_TEST_POSTGRES"), Value("COMMSHUB_TEST_RABBITMQ"), Value("COMMSHUB_TEST_RABBITMQ_MANAGEMENT"));
    }

    public async Task DisposeAsync()
    {
        _infra?.Dispose();
        var started = File.Exists(_started) ? (await File.ReadAllLinesAsync(_started)).Where(l => l.Length > 0).Distinct().ToArray() : [];
        if (started.Length > 0)
        {
            await RunAsync("stop " + string.Join(' ', started));
        }
        File.Delete(_started);
    }

    /// <summary><c>rabbitmqctl stop_app</c>: the broker closes every connection; the Erlang node stays.</summary>
    public Task BrokerStopAppAsync() => RunAsync("rabbit-stop-app");

    public Task BrokerStartAppAsync() => RunAsync("rabbit-start-app");

    /// <summary>SIGKILL of the broker's VM: no goodbye to any client, unflushed state lost.</summary>
    public Task BrokerKillAsync() => RunAsync("rabbit-kill");

    /// <summary>Starts whatever is not running (both servers): after a kill, or to restore the pair after a failed test.</summary>
    public Task EnsureUpAsync() => RunAsync("start");

    /// <summary><c>pg_ctl stop -m immediate</c>: a crash; the next start recovers from the WAL.</summary>
    public Task PostgresCrashAsync() => RunAsync("pg-stop-immediate");

    public async Task PostgresStartAsync()
    {
        await RunAsync("pg-start");
        // The suite's own pooled connections died with the server (CommsHub's processes recover by themselves).
        Npgsql.NpgsqlConnection.ClearAllPools();
    }

    private async Task<string> RunAsync(string command)
    {
        var psi = new ProcessStartInfo("/bin/bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(RepoRoot, "deploy", "local-infra.sh"));
        foreach (var part in command.Split(' '))
        {
            psi.ArgumentList.Add(part);
        }
        psi.Environment["COMMSHUB_INFRA_PORT_OFFSET"] = PortOffset.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["COMMSHUB_INFRA_DIR"] = Path.Combine(RepoRoot, ".local", "infra-faults");
        psi.Environment["COMMSHUB_INFRA_STARTED_FILE"] = _started;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"local-infra.sh {command} exited {process.ExitCode}:\n{await stderr}");
        }
        return await stdout;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CommsHub.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("CommsHub.sln not found above " + AppContext.BaseDirectory);
    }
}

[CollectionDefinition(Name)]
public sealed class FaultPairCollection : ICollectionFixture<FaultPair>
{
    public const string Name = "fault pair";
}
