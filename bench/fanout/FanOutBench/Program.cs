using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using FanOutBench.Baselines;
using FanOutBench.Driver;
using FanOutBench.Fakes;
using FanOutBench.Host;
using FanOutBench.Report;

namespace FanOutBench;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // Every figure in the report and the logs is written with a dot and no culture surprises.
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(BenchOptions.Usage);
            return 0;
        }
        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            await Console.Error.WriteLineAsync(e.Message + "\n\n" + BenchOptions.Usage);
            return 2;
        }
        Directory.CreateDirectory(options.Out);
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => HostProcess.KillAll());
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => HostProcess.KillAll());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => HostProcess.KillAll();
        var started = Stopwatch.GetTimestamp();

        using var infra = new Infra(options.Postgres, options.RabbitMq, options.RabbitMqManagement);
        await using var fakes = await ProviderFakes.StartAsync();
        fakes.Latency = TimeSpan.FromMilliseconds(options.FakeLatencyMs);
        Bench.Log($"provider fakes on {fakes.Url}");

        var results = new BenchResults(await Machine.DescribeAsync(infra, options), Settings(options));
        var bench = new Bench(options, infra, fakes, results);
        var campaigns = new CampaignBench(options, infra, fakes, results);
        foreach (var name in options.Scenarios)
        {
            var scenario = Scenario.Named(name);
            await (scenario.Campaign ? campaigns.RunScenarioAsync(scenario) : bench.RunScenarioAsync(scenario));
            await WriteAsync(options, results, started);
        }

        if (options.Broker)
        {
            await CompareBrokerAsync(options, infra, results);
        }
        await infra.DropDatabaseAsync(BenchName.Database);
        await infra.DeleteVirtualHostAsync(BenchName.VirtualHost);

        var summary = await WriteAsync(options, results, started);
        Console.WriteLine();
        Console.WriteLine(summary);
        var failed = results.Scenarios.Any(s => s.Error is not null || s.Runs.Any(r => !r.ExactlyOnce) || s.Campaign.Any(r => !r.ExactlyOnce))
                     || results.BrokerError is not null;
        return failed ? 1 : 0;
    }

    private static async Task CompareBrokerAsync(BenchOptions options, Infra infra, BenchResults results)
    {
        var vhost = BenchName.BrokerVirtualHost;
        var runs = options.Runs ?? 3;
        Bench.Log($"=== MassTransit vs RabbitMQ.Client: {options.BrokerMessages:N0} messages, {runs} runs each, publisher confirms, durable, persistent, prefetch 16");
        try
        {
            await infra.RecreateVirtualHostAsync(vhost);
            var compare = new BrokerComparison(infra.Rabbit.Host, infra.Rabbit.Port, vhost, infra.RabbitUser, infra.RabbitPassword);
            foreach (var window in new[] { 1, 100 })
            {
                for (var run = 1; run <= runs; run++)
                {
                    // Alternate which goes first, so neither always meets a warmer broker.
                    var pair = run % 2 == 1
                        ? new[] { (Func<Task<BrokerSample>>)(() => compare.MassTransitAsync(options.BrokerMessages, window, run)), () => compare.RawAsync(options.BrokerMessages, window, run) }
                        : [() => compare.RawAsync(options.BrokerMessages, window, run), () => compare.MassTransitAsync(options.BrokerMessages, window, run)];
                    foreach (var measure in pair)
                    {
                        var s = await measure();
                        results.Broker.Add(s);
                        Bench.Log($"{s.Client}, {(window == 1 ? "awaited one by one" : $"{window} in flight")}, run {run}: publish {s.PublishSeconds:0.000} s, consume {s.ConsumeSeconds:0.000} s, client CPU {s.ClientCpuSeconds} s, broker CPU {s.BrokerCpuSeconds} s");
                    }
                }
            }
        }
        catch (Exception e)
        {
            results.BrokerError = $"{e.GetType().Name}: {e.Message}";
            Bench.Log("broker comparison FAILED: " + results.BrokerError);
        }
        finally
        {
            await infra.DeleteVirtualHostAsync(vhost);
        }
    }

    private static Dictionary<string, string> Settings(BenchOptions o) => new()
    {
        ["scenarios"] = string.Join(",", o.Scenarios),
        ["runs"] = o.Runs?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default (3; email-1m 1)",
        ["runs email-1m"] = o.Runs1M.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Channels:Sms:MessagesPerSecond"] = o.SmsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["import chunk"] = o.ImportChunk.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["settle s"] = o.SettleSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["warm-up"] = o.Warmup.ToString(),
        ["history between runs"] = o.KeepHistory ? "kept" : "TRUNCATE deliveries CASCADE",
        ["fake latency ms"] = o.FakeLatencyMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["load"] = $"{o.LoadPerSecond} requests/s, {o.LoadIdleSeconds} s idle",
        ["source"] = o.Source,
    };

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static async Task<string> WriteAsync(BenchOptions options, BenchResults results, long started)
    {
        results.Seconds = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1);
        await File.WriteAllTextAsync(Path.Combine(options.Out, "results.json"), JsonSerializer.Serialize(results, Json));
        var summary = Summary.Markdown(results);
        await File.WriteAllTextAsync(Path.Combine(options.Out, "summary.md"), summary);
        return summary;
    }
}
