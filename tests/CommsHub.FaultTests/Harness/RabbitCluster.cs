using System.Diagnostics;
using FanOutBench.Host;

namespace CommsHub.FaultTests.Harness;

/// <summary>
/// The three-node RabbitMQ cluster of deploy/local-rabbit-cluster.sh: started fresh for a test, one
/// node killed, stopped at the end. Read through the management API of a node that is not killed.
/// </summary>
public sealed class RabbitCluster : IAsyncDisposable
{
    private RabbitCluster(string uri, string[] management)
    {
        Uri = uri;
        Management = management;
    }

    /// <summary>An AMQP URI listing the three nodes, ending in <c>/</c> (append the virtual host).</summary>
    public string Uri { get; }

    /// <summary>Management HTTP base of each node, node 1 first.</summary>
    public IReadOnlyList<string> Management { get; }

    public static string NodeName(int node) => $"commshub{180 + (20 * node)}@localhost";

    public static async Task<RabbitCluster> StartAsync()
    {
        await RunAsync("start");
        var env = await RunAsync("env");
        string Value(string name) => env.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith($"export {name}=", StringComparison.Ordinal))
            .Split('=', 2)[1].Trim('"');
        return new RabbitCluster(Value("COMMSHUB_TEST_RABBITMQ_CLUSTER"),
            [.. Enumerable.Range(1, 3).Select(n => Value($"COMMSHUB_TEST_RABBITMQ_CLUSTER_MANAGEMENT_{n}"))]);
    }

    /// <summary>The broker's view through node <paramref name="node"/> (its management API sees the whole cluster).</summary>
    public Infra Through(int node) => new("Host=127.0.0.1", Uri.Split(',')[0] + "/", Management[node - 1]);

    /// <summary>The nodes killed so far.</summary>
    public List<int> Killed { get; } = [];

    /// <summary>SIGKILL of one node's Erlang VM.</summary>
    public async Task KillAsync(int node)
    {
        await RunAsync($"kill {node}");
        Killed.Add(node);
    }

    public async ValueTask DisposeAsync() => await RunAsync("stop");

    private static async Task<string> RunAsync(string command)
    {
        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(FaultPair.RepoRoot, "deploy", "local-rabbit-cluster.sh"));
        foreach (var part in command.Split(' '))
        {
            psi.ArgumentList.Add(part);
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"local-rabbit-cluster.sh {command} exited {process.ExitCode}:\n{await stderr}");
        }
        return await stdout;
    }
}
