using System.Globalization;

namespace FanOutBench;

/// <summary>Command line of FanOutBench (bench/run.sh passes most of them through).</summary>
public sealed class BenchOptions
{
    public string ApiDir { get; set; } = "";
    public string WorkerDir { get; set; } = "";
    public string Out { get; set; } = "";
    public List<string> Scenarios { get; set; } = [.. Driver.Scenario.Default];
    public int? Runs { get; set; }
    public int Runs1M { get; set; } = 1;
    public string Postgres { get; set; } = Environment.GetEnvironmentVariable("COMMSHUB_TEST_POSTGRES") ?? "";
    public string RabbitMq { get; set; } = Environment.GetEnvironmentVariable("COMMSHUB_TEST_RABBITMQ") ?? "";
    public string RabbitMqManagement { get; set; } = Environment.GetEnvironmentVariable("COMMSHUB_TEST_RABBITMQ_MANAGEMENT") ?? "";
    public double SmsPerSecond { get; set; } = 1000;
    public int ImportChunk { get; set; } = 50_000;
    public double SettleSeconds { get; set; } = 11;
    public double BaselineSeconds { get; set; } = 15;
    public bool Warmup { get; set; } = true;
    public bool Ideal { get; set; } = true;
    public bool Broker { get; set; } = true;
    public int BrokerMessages { get; set; } = 10_000;
    public bool KeepHistory { get; set; }
    public bool Load { get; set; } = true;
    public double LoadPerSecond { get; set; } = 100;
    public double LoadIdleSeconds { get; set; } = 10;
    public int FakeLatencyMs { get; set; }
    public string Source { get; set; } = "";
    public string PgLog { get; set; } = "";
    public bool Trace { get; set; } = true;
    public bool Trace1M { get; set; }

    public int RunsFor(Driver.Scenario s) => s.Name == "email-1m" ? Runs1M : Runs ?? s.DefaultRuns;

    public const string Usage = """
        FanOutBench --api-dir DIR --worker-dir DIR --out DIR [options]
          --scenarios a,b,...     email-10k, email-100k, email-1m, sms-10k, webhook-10k, mixed (default: these six);
                                  campaign-10k, campaign-100k, campaign-1m (a compensation campaign: import, codes, send; by name only)
          --runs N                measured runs per scenario (default 3; email-1m: --runs-1m, default 1)
          --runs-1m N             measured runs of email-1m
          --sms-rate R            Channels:Sms:MessagesPerSecond for the bench (default 1000, the most it accepts)
          --import-chunk N        subscribers per import request (default 50000)
          --settle S              seconds waited after each run (late duplicates; PostgreSQL's statistics flush) (default 11)
          --baseline S            seconds of idle commit counting per scenario (default 15)
          --no-warmup             no unmeasured first fan-out
          --no-ideal              skip the idealised HttpClient loop
          --no-broker             skip MassTransit vs RabbitMQ.Client
          --broker-messages N     messages per broker comparison run (default 10000)
          --keep-history          keep earlier runs' deliveries (default: TRUNCATE deliveries between runs)
          --no-load               skip the publish latency under load (email-100k)
          --load-rps R            publish load during email-100k (default 100)
          --load-idle S           seconds of idle publish load before it (default 10)
          --fake-latency-ms MS    each fake answer waits this long (default 0)
          --pg-log FILE           PostgreSQL's log (deploy/local-infra.sh: .local/infra/postgres/postgres.log), for the traced run
          --no-trace              no traced run (exact transaction counts from the statement log)
          --trace-1m              a traced run for email-1m too (off by default: another million sends)
          --postgres CS --rabbitmq URI --rabbitmq-management URL   (default: COMMSHUB_TEST_* from deploy/local-infra.sh env)
        """;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            double Dbl() => double.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--api-dir": o.ApiDir = Next(); break;
                case "--worker-dir": o.WorkerDir = Next(); break;
                case "--out": o.Out = Next(); break;
                case "--scenarios": o.Scenarios = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(); break;
                case "--runs": o.Runs = Int(); break;
                case "--runs-1m": o.Runs1M = Int(); break;
                case "--postgres": o.Postgres = Next(); break;
                case "--rabbitmq": o.RabbitMq = Next(); break;
                case "--rabbitmq-management": o.RabbitMqManagement = Next(); break;
                case "--sms-rate": o.SmsPerSecond = Dbl(); break;
                case "--import-chunk": o.ImportChunk = Int(); break;
                case "--settle": o.SettleSeconds = Dbl(); break;
                case "--baseline": o.BaselineSeconds = Dbl(); break;
                case "--no-warmup": o.Warmup = false; break;
                case "--no-ideal": o.Ideal = false; break;
                case "--no-broker": o.Broker = false; break;
                case "--broker-messages": o.BrokerMessages = Int(); break;
                case "--keep-history": o.KeepHistory = true; break;
                case "--no-load": o.Load = false; break;
                case "--load-rps": o.LoadPerSecond = Dbl(); break;
                case "--load-idle": o.LoadIdleSeconds = Dbl(); break;
                case "--fake-latency-ms": o.FakeLatencyMs = Int(); break;
                case "--source": o.Source = Next(); break;
                case "--pg-log": o.PgLog = Next(); break;
                case "--no-trace": o.Trace = false; break;
                case "--trace-1m": o.Trace1M = true; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        if (o.Scenarios.Count > 0 && (o.ApiDir.Length == 0 || o.WorkerDir.Length == 0))
        {
            throw new ArgumentException("--api-dir and --worker-dir are required (bench/run.sh publishes them)");
        }
        if (o.Out.Length == 0 || o.Postgres.Length == 0 || o.RabbitMq.Length == 0 || o.RabbitMqManagement.Length == 0)
        {
            throw new ArgumentException("--out and the PostgreSQL/RabbitMQ addresses are required (run `eval \"$(deploy/local-infra.sh env)\"`)");
        }
        foreach (var s in o.Scenarios)
        {
            _ = Driver.Scenario.Named(s);
        }
        // The CommsHub processes run in their publish directories: every path they get must be absolute.
        o.Out = Path.GetFullPath(o.Out);
        o.ApiDir = o.ApiDir.Length > 0 ? Path.GetFullPath(o.ApiDir) : "";
        o.WorkerDir = o.WorkerDir.Length > 0 ? Path.GetFullPath(o.WorkerDir) : "";
        o.PgLog = o.PgLog.Length > 0 ? Path.GetFullPath(o.PgLog) : "";
        return o;
    }
}
