using System.Diagnostics;
using System.Net.Http.Headers;
using FanOutBench.Driver;
using FanOutBench.Fakes;
using FanOutBench.Host;
using FanOutBench.Measure;
using FanOutBench.Report;

namespace FanOutBench;

/// <summary>
/// The compensation campaign scenarios: each run starts from a fresh database and virtual host and fresh API
/// (Roles=api) and worker processes, uploads the customer list and the codes through the API, creates and sends the
/// campaign, waits until every customer's email reached the SendGrid fake and every delivery is recorded, then checks
/// exactly once (customers, codes, and each customer's code against the database). The processes' peak working set
/// is their lifetime's: the imports and the send.
/// </summary>
public sealed class CampaignBench(BenchOptions options, Infra infra, ProviderFakes fakes, BenchResults results)
{
    // BENCH_NAME: two checkouts sharing PostgreSQL and RabbitMQ must not drop each other's database mid-run.
    private static readonly string Database = BenchName.Database;
    private static readonly string VirtualHost = BenchName.VirtualHost;
    private const string Key = "fanout-bench-key-0123456789abcdefghijklmnop";

    public async Task RunScenarioAsync(Scenario scenario)
    {
        var result = new ScenarioResult(scenario.Name, scenario.Audience);
        results.Scenarios.Add(result);
        var started = Stopwatch.GetTimestamp();
        var runs = options.Runs ?? scenario.DefaultRuns;
        Bench.Log($"=== {scenario.Name}: a compensation campaign to {scenario.Audience.Email:N0} customers by email, {runs} run(s), each from a fresh database");
        try
        {
            for (var run = 1; run <= runs; run++)
            {
                var r = await RunOnceAsync(scenario, result, run, traced: false);
                result.Campaign.Add(r);
                Bench.Log($"run {run}/{runs}: {Describe(r)}");
            }
            if (options.Trace && (scenario.Name != "campaign-1m" || options.Trace1M))
            {
                if (!File.Exists(options.PgLog))
                {
                    result.TraceNote = $"no traced run: PostgreSQL's log '{options.PgLog}' is not readable (--pg-log)";
                }
                else
                {
                    var t = await RunOnceAsync(scenario, result, runs + 1, traced: true);
                    result.Campaign.Add(t);
                    Bench.Log($"traced run: {Describe(t)}");
                    Bench.Log("  transactions: " + string.Join(", ", t.Transactions!.Select(kv => $"{kv.Key} {kv.Value} ({t.SqlMilliseconds!.GetValueOrDefault(kv.Key):0} ms)")));
                }
            }
        }
        catch (Exception e)
        {
            result.Error = $"{e.GetType().Name}: {e.Message}";
            Bench.Log($"FAILED: {result.Error}");
        }
        finally
        {
            result.Seconds = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1);
        }
    }

    /// <param name="traced">Every statement of the database logged from the start (bind parameters not), to count the send's
    /// transactions by what they did and their SQL time (CommitTrace); the logging slows PostgreSQL: its times are not figures.</param>
    private async Task<CampaignRunResult> RunOnceAsync(Scenario scenario, ScenarioResult result, int run, bool traced)
    {
        var count = scenario.Audience.Email;
        HostProcess? api = null, worker = null;
        try
        {
            await infra.RecreateDatabaseAsync(Database);
            await infra.RecreateVirtualHostAsync(VirtualHost);
            if (traced)
            {
                await infra.ExecuteAsync($"ALTER DATABASE {Database} SET log_min_duration_statement = 0", Database);
                await infra.ExecuteAsync($"ALTER DATABASE {Database} SET log_parameter_max_length = 0", Database);
            }
            var port = Topology.FreePort();
            var env = Topology.Environment(infra, fakes, options.SmsPerSecond, Database, VirtualHost, Key, port);
            var logDir = Path.Combine(options.Out, scenario.Name, traced ? "traced" : $"run-{run}");
            Directory.CreateDirectory(logDir);
            api = HostProcess.Start("api", options.ApiDir, "CommsHub.Api.dll", new Dictionary<string, string>(env) { ["Roles"] = "api" },
                $"--urls http://127.0.0.1:{port}", Path.Combine(logDir, "api.log"));
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(10) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            await Topology.WaitReadyAsync(http, api);
            worker = HostProcess.Start("worker", options.WorkerDir, "CommsHub.Worker.dll", env, "", Path.Combine(logDir, "worker.log"));
            await Topology.WaitConsumingAsync(infra, VirtualHost, worker, scenario.Audience, "campaign-planner");
            Bench.Log($"run {run}: api pid {api.Pid} on :{port}, worker pid {worker.Pid}");
            var (apiPid, workerPid) = (api.Pid, worker.Pid);
            var cpu = new CpuMeter(new Dictionary<string, Func<IEnumerable<int>>>
            {
                ["api"] = () => [apiPid],
                ["worker"] = () => [workerPid],
                ["postgres"] = () => Proc.PostgresPids(Database),
                ["rabbitmq"] = () => Proc.ByComm("beam.smp"),
                ["driver"] = () => [Environment.ProcessId],
            });

            var driver = new CampaignDriver(http, infra.Database(Database), fakes, Bench.Log);
            var importStart = Stopwatch.GetTimestamp();
            var beforeImport = cpu.Take();
            var (audienceId, audienceS, audienceBytes) = await driver.ImportAudienceAsync(count);
            var (poolId, codesS, codesBytes) = await driver.ImportCodesAsync(count);
            var importCpu = CpuMeter.Diff(beforeImport, cpu.Take());
            var apiPeakImport = Proc.StatusBytes(apiPid, "VmHWM");
            // As autovacuum would within a minute of a million-row import: the planner's pages use fresh statistics.
            await infra.ExecuteAsync("ANALYZE audience_members; ANALYZE pool_codes", Database);
            var (campaignId, createMs) = await driver.CreateAsync(audienceId, poolId);

            var before = cpu.Take();
            var logOffset = traced ? new FileInfo(options.PgLog).Length : 0;
            var send = await driver.SendAsync(campaignId, count);
            var (_, settled) = await driver.WaitAsync(send, count, scenario.Deadline);
            var used = CpuMeter.Diff(before, cpu.Take());
            var settledWall = send.StartWall + Stopwatch.GetElapsedTime(send.StartTicks, settled);
            var (firstAssigned, lastAssigned, planned) = await driver.TimelineAsync(send);
            var check = await driver.VerifyAsync(send, count, TimeSpan.FromSeconds(Math.Max(2, options.SettleSeconds - 2)));
            var apiPeak = Proc.StatusBytes(apiPid, "VmHWM");
            var workerPeak = Proc.StatusBytes(workerPid, "VmHWM");
            foreach (var (queue, (messages, _)) in await infra.QueuesAsync(VirtualHost))
            {
                if ((queue.EndsWith("_error", StringComparison.Ordinal) || queue.EndsWith("_skipped", StringComparison.Ordinal)) && messages > 0)
                {
                    result.ErrorQueues[$"{queue} (run {run})"] = messages;
                }
            }

            double S(long ticks) => ticks == 0 ? double.NaN : Math.Round((ticks - send.StartTicks) / (double)Stopwatch.Frequency, 3);
            IReadOnlyDictionary<string, int>? counts = null;
            IReadOnlyDictionary<string, double>? milliseconds = null;
            if (traced)
            {
                (var c, var ms) = CommitTrace.Count(options.PgLog, logOffset, Database, send.StartWall, settledWall + TimeSpan.FromSeconds(2));
                (counts, milliseconds) = (c, ms.ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 1)));
            }
            return new CampaignRunResult(run, audienceBytes, Math.Round(audienceS, 3), codesBytes, Math.Round(codesS, 3), Math.Round(createMs, 1), Math.Round(send.ApiMs, 1),
                S(fakes.Email.FirstTicks), S(fakes.Email.LastTicks), S(settled), firstAssigned, lastAssigned, planned,
                Math.Round((fakes.Email.LastTicks - importStart) / (double)Stopwatch.Frequency, 3),
                apiPeakImport, apiPeak, workerPeak, used, importCpu, fakes.Email.Requests, check)
            {
                Kind = traced ? "traced" : "measured", Transactions = counts, SqlMilliseconds = milliseconds,
            };
        }
        finally
        {
            if (traced)
            {
                await infra.ExecuteAsync($"ALTER DATABASE {Database} RESET log_min_duration_statement", Database);
                await infra.ExecuteAsync($"ALTER DATABASE {Database} RESET log_parameter_max_length", Database);
            }
            foreach (var p in new[] { api, worker })
            {
                if (p is not null)
                {
                    var exitedEarly = p.Exited;
                    await p.StopAsync(TimeSpan.FromSeconds(15));
                    var problems = Topology.LogProblems(p.Log, exitedEarly);
                    if (problems.Count > 0)
                    {
                        result.LogProblems[$"{p.Name} (run {run})"] = problems;
                    }
                }
            }
        }
    }

    private static string Describe(CampaignRunResult r) =>
        $"import audience {r.AudienceImportS:0.00} s, codes {r.CodesImportS:0.00} s; send 202 in {r.SendApiMs:0} ms; codes assigned by {r.LastAssignedS:0.0} s, " +
        $"planned by {r.PlannedS:0.0} s, last provider request {r.LastRequestS:0.000} s, settled {r.SettledS:0.000} s (start → last request {r.StartToLastRequestS:0.0} s); " +
        $"peak WS api {r.ApiPeakBytes / 1048576} MiB (imports {r.ApiPeakImportBytes / 1048576}), worker {r.WorkerPeakBytes / 1048576} MiB; " +
        $"CPU api {r.Cpu["api"]} worker {r.Cpu["worker"]} pg {r.Cpu["postgres"]} rabbit {r.Cpu["rabbitmq"]} other {r.Cpu["other"]} s; " +
        (r.ExactlyOnce ? "exactly once" : "NOT EXACTLY ONCE: " + string.Join("; ", r.Check.Problems));
}
