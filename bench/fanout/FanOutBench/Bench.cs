using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using FanOutBench.Baselines;
using FanOutBench.Driver;
using FanOutBench.Fakes;
using FanOutBench.Host;
using FanOutBench.Measure;
using FanOutBench.Report;

namespace FanOutBench;

/// <summary>
/// Runs each scenario against CommsHub in the production topology: a fresh database and virtual
/// host, the API (Roles=api) and the worker as two processes, the audience imported through the
/// API, then a warm-up fan-out and the measured runs, the idealised loop, and for email-100k the
/// publish latency under load. The processes are restarted for every scenario.
/// </summary>
public sealed class Bench(BenchOptions options, Infra infra, ProviderFakes fakes, BenchResults results)
{
    // BENCH_NAME: two checkouts sharing PostgreSQL and RabbitMQ must not drop each other's database mid-run.
    private static readonly string Database = BenchName.Database;
    private static readonly string VirtualHost = BenchName.VirtualHost;
    private const string Key = "fanout-bench-key-0123456789abcdefghijklmnop";
    private static readonly TimeSpan StatsFlush = TimeSpan.FromSeconds(2);

    public static void Log(string message) => Console.WriteLine($"[fanout {DateTime.Now:HH:mm:ss}] {message}");

    public async Task RunScenarioAsync(Scenario scenario)
    {
        var result = new ScenarioResult(scenario.Name, scenario.Audience);
        results.Scenarios.Add(result);
        var started = Stopwatch.GetTimestamp();
        Log($"=== {scenario.Name}: {scenario.Audience.Email:N0} email, {scenario.Audience.Sms:N0} sms, {scenario.Audience.Webhook:N0} webhook");
        HostProcess? api = null, worker = null;
        try
        {
            await infra.RecreateDatabaseAsync(Database);
            await infra.RecreateVirtualHostAsync(VirtualHost);
            var port = Topology.FreePort();
            var env = Topology.Environment(infra, fakes, options.SmsPerSecond, Database, VirtualHost, Key, port);
            var logDir = Path.Combine(options.Out, scenario.Name);
            Directory.CreateDirectory(logDir);

            api = HostProcess.Start("api", options.ApiDir, "CommsHub.Api.dll", new Dictionary<string, string>(env) { ["Roles"] = "api" },
                $"--urls http://127.0.0.1:{port}", Path.Combine(logDir, "api.log"));
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(10) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            await Topology.WaitReadyAsync(http, api);
            // The worker starts once the API has migrated the new database: two processes migrating
            // one empty database at once can collide (see docs/benchmarks.md, quick benchmark caveats).
            worker = HostProcess.Start("worker", options.WorkerDir, "CommsHub.Worker.dll", env, "", Path.Combine(logDir, "worker.log"));
            await Topology.WaitConsumingAsync(infra, VirtualHost, worker, scenario.Audience);
            Log($"api pid {api.Pid} on :{port}, worker pid {worker.Pid}");

            var driver = new FanOutDriver(http, infra.Database(Database), fakes, Log);
            result.Import.AddRange(await driver.ImportAsync(scenario.Audience, options.ImportChunk));
            result.ApiPeakAfterImportBytes = Proc.StatusBytes(api.Pid, "VmHWM");
            foreach (var r in result.Import)
            {
                Log($"imported {r.Count:N0} {r.Channel} in {r.Seconds:0.0} s ({r.Requests} requests)");
            }
            // As autovacuum would within a minute: the planner's keyset pages then use fresh statistics in every run.
            await infra.ExecuteAsync("ANALYZE subscribers", Database);

            var cpu = new CpuMeter(new Dictionary<string, Func<IEnumerable<int>>>
            {
                ["api"] = () => [api.Pid],
                ["worker"] = () => [worker.Pid],
                ["postgres"] = () => Proc.PostgresPids(Database),
                ["rabbitmq"] = () => Proc.ByComm("beam.smp"),
                ["driver"] = () => [Environment.ProcessId],
            });

            if (scenario.Warmup && options.Warmup)
            {
                result.Warmup = await RunOnceAsync(scenario, driver, cpu, api, worker, 0, "warm-up", settle: TimeSpan.FromSeconds(1));
                Log($"warm-up: {Describe(result.Warmup)}");
                await ResetAsync();
            }

            (result.BackgroundCommitsPerSecond, result.BackgroundCommitsSpread) = await BackgroundCommitRateAsync();
            Log($"background: {result.BackgroundCommitsPerSecond:0.0} ± {result.BackgroundCommitsSpread:0.0} commits/s with nothing to send");

            var runs = options.RunsFor(scenario);
            for (var run = 1; run <= runs; run++)
            {
                if (run > 1)
                {
                    await ResetAsync();
                }
                var r = await RunOnceAsync(scenario, driver, cpu, api, worker, run, "measured", TimeSpan.FromSeconds(options.SettleSeconds),
                    result.BackgroundCommitsPerSecond);
                result.Runs.Add(r);
                Log($"run {run}/{runs}: {Describe(r)}");
            }

            if (options.Ideal)
            {
                for (var run = 1; run <= runs; run++)
                {
                    var ideal = await IdealLoop.RunAsync(fakes, scenario.Audience, IdealSettings.For(options.SmsPerSecond));
                    result.Ideal.Add(ideal);
                    Log($"ideal loop {run}/{runs}: {ideal.Seconds:0.000} s ({ideal.Detail}){(ideal.AllReceivedOnce ? "" : " NOT ALL RECEIVED ONCE")}");
                }
                if (scenario.Audience.Sms > 0)
                {
                    result.IdealUnbudgeted = await IdealLoop.RunAsync(fakes, scenario.Audience, IdealSettings.For(null));
                    Log($"ideal loop without the SMS budget: {result.IdealUnbudgeted.Seconds:0.000} s");
                }
            }

            if (scenario.LatencyUnderLoad && options.Load)
            {
                await ResetAsync();
                result.Load = await LatencyUnderLoadAsync(scenario, driver, cpu, api, worker, result.BackgroundCommitsPerSecond);
            }

            foreach (var (queue, (messages, _)) in await infra.QueuesAsync(VirtualHost))
            {
                if (queue.EndsWith("_error", StringComparison.Ordinal) || queue.EndsWith("_skipped", StringComparison.Ordinal))
                {
                    result.ErrorQueues[queue] = messages;
                }
            }
            result.ApiLifetimePeakBytes = Proc.StatusBytes(api.Pid, "VmHWM");
            result.WorkerLifetimePeakBytes = Proc.StatusBytes(worker.Pid, "VmHWM");

            if (options.Trace && (scenario.Name != "email-1m" || options.Trace1M))
            {
                if (!File.Exists(options.PgLog))
                {
                    result.TraceNote = $"no traced run: PostgreSQL's log '{options.PgLog}' is not readable (--pg-log)";
                }
                else
                {
                    await api.StopAsync(TimeSpan.FromSeconds(15));
                    await worker.StopAsync(TimeSpan.FromSeconds(15));
                    (api, worker, result.Traced) = await TracedRunAsync(scenario, http, port, env, logDir);
                    Log($"traced run: {Describe(result.Traced)}");
                    Log("  transactions: " + string.Join(", ", result.Traced.Transactions!.Select(kv => $"{kv.Key} {kv.Value}")));
                }
            }
        }
        catch (Exception e)
        {
            result.Error = $"{e.GetType().Name}: {e.Message}";
            Log($"FAILED: {result.Error}");
            if (api is { Exited: true })
            {
                Log("api exited:\n" + api.Tail());
            }
            if (worker is { Exited: true })
            {
                Log("worker exited:\n" + worker.Tail());
            }
        }
        finally
        {
            foreach (var p in new[] { api, worker })
            {
                if (p is not null)
                {
                    var exitedEarly = p.Exited;
                    await p.StopAsync(TimeSpan.FromSeconds(15));
                    result.LogProblems[p.Name] = Topology.LogProblems(p.Log, exitedEarly);
                }
            }
            result.Seconds = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1);
        }
    }

    /// <summary>
    /// One more fan-out with every statement of the CommsHub database logged (bind parameters not),
    /// on freshly started processes (the setting reaches new connections only), to count its
    /// transactions exactly by what they did. The logging slows PostgreSQL: its times are not figures.
    /// </summary>
    private async Task<(HostProcess Api, HostProcess Worker, RunResult Run)> TracedRunAsync(Scenario scenario, HttpClient http, int port,
        Dictionary<string, string> env, string logDir)
    {
        await infra.ExecuteAsync($"ALTER DATABASE {Database} SET log_min_duration_statement = 0", Database);
        await infra.ExecuteAsync($"ALTER DATABASE {Database} SET log_parameter_max_length = 0", Database);
        try
        {
            await ResetAsync();
            var api = HostProcess.Start("api", options.ApiDir, "CommsHub.Api.dll", new Dictionary<string, string>(env) { ["Roles"] = "api" },
                $"--urls http://127.0.0.1:{port}", Path.Combine(logDir, "api.log"));
            await Topology.WaitReadyAsync(http, api);
            var worker = HostProcess.Start("worker", options.WorkerDir, "CommsHub.Worker.dll", env, "", Path.Combine(logDir, "worker.log"));
            await Topology.WaitConsumingAsync(infra, VirtualHost, worker, scenario.Audience);
            await Task.Delay(TimeSpan.FromSeconds(5));
            var cpu = new CpuMeter(new Dictionary<string, Func<IEnumerable<int>>>
            {
                ["api"] = () => [api.Pid],
                ["worker"] = () => [worker.Pid],
                ["postgres"] = () => Proc.PostgresPids(Database),
                ["rabbitmq"] = () => Proc.ByComm("beam.smp"),
                ["driver"] = () => [Environment.ProcessId],
            });
            var offset = new FileInfo(options.PgLog).Length;
            var driver = new FanOutDriver(http, infra.Database(Database), fakes, Log);
            var run = await RunOnceAsync(scenario, driver, cpu, api, worker, 1, "traced", TimeSpan.FromSeconds(1));
            // The same window as the commit counter's: from the publish call to two seconds after the last outcome was recorded.
            var to = run.PublishedAt + TimeSpan.FromSeconds(run.SettledS) + StatsFlush;
            var (counts, milliseconds) = CommitTrace.Count(options.PgLog, offset, Database, run.PublishedAt, to);
            return (api, worker, run with { Transactions = counts, SqlMilliseconds = milliseconds });
        }
        finally
        {
            await infra.ExecuteAsync($"ALTER DATABASE {Database} RESET log_min_duration_statement", Database);
            await infra.ExecuteAsync($"ALTER DATABASE {Database} RESET log_parameter_max_length", Database);
        }
    }

    private async Task<RunResult> RunOnceAsync(Scenario scenario, FanOutDriver driver, CpuMeter cpu, HostProcess api, HostProcess worker,
        int run, string kind, TimeSpan settle, double backgroundPerSecond = 0, CancellationToken ct = default)
    {
        var audience = scenario.Audience;
        var peakReset = Proc.ResetPeak(api.Pid) & Proc.ResetPeak(worker.Pid);
        var commitsBefore = await infra.CommitsAsync(Database);
        var commitsFrom = Stopwatch.GetTimestamp();
        var before = cpu.Take();
        var publication = await driver.PublishAsync(audience, $"{scenario.Name} {kind} {run}", ct);
        var completion = await driver.WaitAsync(publication, audience, scenario.Deadline, ct);
        var used = CpuMeter.Diff(before, cpu.Take());
        var apiPeak = Proc.StatusBytes(api.Pid, "VmHWM");
        var workerPeak = Proc.StatusBytes(worker.Pid, "VmHWM");
        // A backend reports its counters to pg_stat_database at most once a second, when idle.
        await Task.Delay(StatsFlush, ct);
        var commitsAfter = await infra.CommitsAsync(Database);
        var window = Stopwatch.GetElapsedTime(commitsFrom).TotalSeconds;
        // The driver's own reads of the database in the window: its polls.
        var driverQueries = completion.DbPolls;
        var raw = commitsAfter - commitsBefore - driverQueries;
        var verification = await driver.VerifyAsync(publication, audience, settle > StatsFlush ? settle - StatsFlush : TimeSpan.Zero, ct);
        apiPeak = Max(apiPeak, Proc.StatusBytes(api.Pid, "VmHWM"));
        workerPeak = Max(workerPeak, Proc.StatusBytes(worker.Pid, "VmHWM"));

        double S(long ticks) => Math.Round((ticks - publication.StartTicks) / (double)Stopwatch.Frequency, 3);
        var last = audience.Channels.Max(c => fakes.For(c).LastTicks);
        var first = audience.Channels.Where(c => fakes.For(c).FirstTicks != 0).Select(c => fakes.For(c).FirstTicks).DefaultIfEmpty(last).Min();
        var lastRequest = S(last);
        return new RunResult(run, kind, publication.UpdateId, publication.StartWall, Math.Round(publication.ApiMs, 2), S(first), lastRequest, S(completion.SettledTicks),
            audience.Channels.ToDictionary(c => c, c => fakes.For(c).LastTicks == 0 ? (double?)null : S(fakes.For(c).LastTicks)),
            Math.Round(audience.Total / lastRequest), used, apiPeak, workerPeak, peakReset,
            raw, Math.Round(raw - backgroundPerSecond * window, 1), Math.Round(window, 1), driverQueries,
            verification.ExactlyOnce, verification.Problems, verification.Channels);
    }

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private static string Describe(RunResult r) =>
        $"api {r.ApiMs:0.0} ms, last provider request {r.LastRequestS:0.000} s, settled {r.SettledS:0.000} s, {r.RecipientsPerSecond:N0}/s, " +
        $"CPU api {r.Cpu["api"]} worker {r.Cpu["worker"]} pg {r.Cpu["postgres"]} rabbit {r.Cpu["rabbitmq"]} other {r.Cpu["other"]} s, " +
        $"commits {r.CommitsRaw} (net {r.CommitsNet}), {(r.ExactlyOnce ? "exactly once" : "NOT EXACTLY ONCE: " + string.Join("; ", r.Problems))}";

    /// <summary>Runs start from an empty deliveries table, so each measures the same work (unless --keep-history).</summary>
    private async Task ResetAsync()
    {
        if (!options.KeepHistory)
        {
            await infra.ExecuteAsync("TRUNCATE deliveries CASCADE", Database);
        }
    }

    /// <summary>
    /// Commits per second with nothing to send (Hangfire's polling, locks and its every-second
    /// recurring job, the audit chain, the outbox dispatchers), over a few consecutive windows:
    /// (mean, half the spread between the windows).
    /// </summary>
    private async Task<(double Rate, double Spread)> BackgroundCommitRateAsync()
    {
        await Task.Delay(StatsFlush);
        var rates = new List<double>();
        var windows = Math.Max(2, (int)Math.Round(options.BaselineSeconds / 5));
        var a = await infra.CommitsAsync(Database);
        var from = Stopwatch.GetTimestamp();
        for (var i = 0; i < windows; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(options.BaselineSeconds / windows));
            var b = await infra.CommitsAsync(Database);
            var now = Stopwatch.GetTimestamp();
            rates.Add((b - a) / ((now - from) / (double)Stopwatch.Frequency));
            (a, from) = (b, now);
        }
        return (Math.Round(rates.Average(), 2), Math.Round((rates.Max() - rates.Min()) / 2, 2));
    }

    /// <summary>
    /// Publish latency at a fixed rate (open loop), first with nothing else going on, then while one
    /// fan-out of the scenario runs. Each phase posts to its own incident.
    /// </summary>
    private async Task<LoadResult> LatencyUnderLoadAsync(Scenario scenario, FanOutDriver driver, CpuMeter cpu, HostProcess api, HostProcess worker, double background)
    {
        var rps = options.LoadPerSecond;
        Log($"publish latency at {rps:0} requests/s: {options.LoadIdleSeconds:0} s idle, then during a fan-out");
        var idleIncident = await CreateQuietIncidentAsync(driver.Api, "Load idle");
        for (var i = 0; i < 20; i++)
        {
            using var warm = await driver.Api.PostAsJsonAsync($"/api/incidents/{idleIncident}/updates", new { message = "warm-up", notify = false });
        }
        var idleCount = (int)(rps * options.LoadIdleSeconds);
        var before = cpu.Take();
        var idle = await OpenLoop.RunAsync(driver.Api, idleIncident, "idle", rps, i => i < idleCount);
        var idleCpu = CpuMeter.Diff(before, cpu.Take());
        Log($"  idle: p50 {idle.P(50)} ms, p99 {idle.P(99)} ms ({idle.Requests} requests, {idle.Errors} errors); " +
            $"CPU s api {idleCpu["api"]} worker {idleCpu["worker"]} pg {idleCpu["postgres"]} rabbit {idleCpu["rabbitmq"]} driver {idleCpu["driver"]} other {idleCpu["other"]} of {idleCpu["capacity"]}");
        await Task.Delay(TimeSpan.FromSeconds(2));

        var busyIncident = await CreateQuietIncidentAsync(driver.Api, "Load during fan-out");
        var running = true;
        var load = OpenLoop.RunAsync(driver.Api, busyIncident, "during fan-out", rps, _ => Volatile.Read(ref running));
        RunResult fanOut;
        try
        {
            // Let the load reach its rate before the fan-out starts.
            await Task.Delay(TimeSpan.FromSeconds(1));
            fanOut = await RunOnceAsync(scenario, driver, cpu, api, worker, 1, "under load", TimeSpan.Zero, background);
        }
        finally
        {
            Volatile.Write(ref running, false);
        }
        var during = await load;
        Log($"  during: p50 {during.P(50)} ms, p99 {during.P(99)} ms ({during.Requests} requests, {during.Errors} errors); fan-out {Describe(fanOut)}");
        return new LoadResult(idle, during, fanOut, idleCpu);
    }

    private static async Task<Guid> CreateQuietIncidentAsync(HttpClient api, string title)
    {
        using var response = await api.PostAsJsonAsync("/api/incidents", new { title, message = "Publish latency probe.", impact = "minor", notify = false });
        response.EnsureSuccessStatusCode();
        return Guid.Parse((await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
    }

}
