using System.Diagnostics;
using FanOutBench.Host;

namespace CommsHub.FaultTests.Harness;

/// <summary>
/// The PostgreSQL primary and synchronous standby of deploy/local-pg-failover.sh: started fresh for a test, the
/// primary killed, the standby promoted, both stopped at the end.
/// </summary>
public sealed class PostgresFailoverPair : IAsyncDisposable
{
    private PostgresFailoverPair(string connectionString, string primary, string standby)
    {
        ConnectionString = connectionString;
        Primary = primary;
        Standby = standby;
    }

    /// <summary>Both servers in one multi-host connection string, <c>Target Session Attributes=primary</c>, database <c>postgres</c>.</summary>
    public string ConnectionString { get; }

    /// <summary>The first primary alone.</summary>
    public string Primary { get; }

    /// <summary>The standby alone.</summary>
    public string Standby { get; }

    public static async Task<PostgresFailoverPair> StartAsync()
    {
        await RunAsync("start");
        var env = await RunAsync("env");
        string Value(string name) => env.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith($"export {name}=", StringComparison.Ordinal))
            .Split('=', 2)[1].Trim('"');
        return new PostgresFailoverPair(Value("COMMSHUB_TEST_POSTGRES_FAILOVER"), Value("COMMSHUB_TEST_POSTGRES_FAILOVER_1"),
            Value("COMMSHUB_TEST_POSTGRES_FAILOVER_2"));
    }

    /// <summary>The pair as the database side of a <see cref="Deployment"/>, beside the fault pair's broker.</summary>
    public Infra With(FaultPair pair) =>
        new(ConnectionString, pair.Infra.Rabbit.ToString(), pair.Infra.ManagementUrl);

    /// <summary>Whether the first primary has been killed, and the standby promoted.</summary>
    public bool PrimaryKilled { get; private set; }

    public bool Promoted { get; private set; }

    /// <summary>SIGKILL of the primary's postmaster and backends.</summary>
    public async Task KillPrimaryAsync()
    {
        await RunAsync("kill-primary");
        PrimaryKilled = true;
    }

    /// <summary><c>pg_ctl promote</c> of the standby; returns once it accepts writes.</summary>
    public async Task PromoteAsync()
    {
        await RunAsync("promote");
        Promoted = true;
    }

    public async ValueTask DisposeAsync() => await RunAsync("stop");

    private static async Task<string> RunAsync(string command)
    {
        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(FaultPair.RepoRoot, "deploy", "local-pg-failover.sh"));
        psi.ArgumentList.Add(command);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"local-pg-failover.sh {command} exited {process.ExitCode}:\n{await stderr}");
        }
        return await stdout;
    }
}
