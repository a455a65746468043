using FanOutBench.Baselines;
using FanOutBench.Driver;

namespace FanOutBench.Report;

/// <param name="LastRequestS">Publish call sent → the last provider request (all channels) read by its fake.</param>
/// <param name="SettledS">Publish call sent → the database has no queued delivery of the update left.</param>
/// <param name="Cpu">CPU seconds per process group during publish → settled (api, worker, postgres, rabbitmq, driver+fakes, other, wall, capacity).</param>
/// <param name="ApiPeakBytes">VmHWM of the API process, reset just before the publish (null if it could not be reset: then the lifetime peak).</param>
/// <param name="CommitsRaw">pg_stat_database.xact_commit delta of the CommsHub database over the window, less the driver's own queries.</param>
/// <param name="CommitsNet">CommitsRaw less the idle background rate (Hangfire polling, audit chain, outbox) × the window.</param>
public sealed record RunResult(
    int Run, string Kind, Guid UpdateId, DateTimeOffset PublishedAt, double ApiMs, double FirstRequestS, double LastRequestS, double SettledS,
    IReadOnlyDictionary<string, double?> LastRequestByChannelS, double RecipientsPerSecond,
    IReadOnlyDictionary<string, double> Cpu, long? ApiPeakBytes, long? WorkerPeakBytes, bool PeakWasReset,
    long CommitsRaw, double CommitsNet, double CommitWindowS, int DriverDbQueries,
    bool ExactlyOnce, IReadOnlyList<string> Problems, IReadOnlyList<ChannelCheck> Channels)
{
    /// <summary>Traced runs only: the window's committed transactions by category (see CommitTrace).</summary>
    public IReadOnlyDictionary<string, int>? Transactions { get; init; }

    /// <summary>Traced runs only: SQL time (ms, as PostgreSQL logged it) of those transactions by category.</summary>
    public IReadOnlyDictionary<string, double>? SqlMilliseconds { get; init; }

    public double CommitsPer1000(int recipients) => Math.Round(CommitsNet / (recipients / 1000.0), 2);
    public double CommitsRawPer1000(int recipients) => Math.Round(CommitsRaw / (recipients / 1000.0), 2);
}

/// <param name="IdleCpu">CPU seconds per process group while the idle load ran (see CpuMeter.Diff).</param>
public sealed record LoadResult(LatencySample Idle, LatencySample During, RunResult FanOut, IReadOnlyDictionary<string, double> IdleCpu);

/// <summary>
/// One compensation campaign from a fresh database and fresh processes. Seconds: the imports' request → 201;
/// the others after the send call was sent (<see cref="SendApiMs"/> is its 202).
/// </summary>
/// <param name="AudienceImportS">POST /api/audiences (the CSV streamed) → 201.</param>
/// <param name="CodesImportS">POST /api/code-pools → 201.</param>
/// <param name="FirstAssignedS">The first and last code assignment (campaign_codes.assigned_at), after the send call.</param>
/// <param name="PlannedS">The planner's end (the campaign's sent_at: every delivery written).</param>
/// <param name="StartToLastRequestS">The first import request → the last provider request: the whole campaign.</param>
/// <param name="ApiPeakImportBytes">VmHWM of the API process after the two imports.</param>
/// <param name="ApiPeakBytes">VmHWM of the API process at the end (its lifetime: imports and send).</param>
/// <param name="Cpu">CPU seconds per process group during send → all recorded.</param>
/// <param name="ImportCpu">CPU seconds per process group during the two imports.</param>
public sealed record CampaignRunResult(int Run, long AudienceBytes, double AudienceImportS, long CodesBytes, double CodesImportS, double CreateMs, double SendApiMs,
    double FirstRequestS, double LastRequestS, double SettledS, double? FirstAssignedS, double? LastAssignedS, double? PlannedS, double StartToLastRequestS,
    long? ApiPeakImportBytes, long? ApiPeakBytes, long? WorkerPeakBytes, IReadOnlyDictionary<string, double> Cpu, IReadOnlyDictionary<string, double> ImportCpu,
    long Requests, CampaignCheck Check)
{
    public bool ExactlyOnce => Check.ExactlyOnce;

    /// <summary>measured, or traced (every statement logged: its times are not figures).</summary>
    public string Kind { get; init; } = "measured";

    /// <summary>Traced runs only: send → all recorded + 2 s, committed transactions by category (see CommitTrace).</summary>
    public IReadOnlyDictionary<string, int>? Transactions { get; init; }

    /// <summary>Traced runs only: SQL time (ms, as PostgreSQL logged it) of those transactions by category.</summary>
    public IReadOnlyDictionary<string, double>? SqlMilliseconds { get; init; }
}

public sealed record ScenarioResult(string Name, Audience Audience)
{
    public List<CampaignRunResult> Campaign { get; } = [];
    public List<ImportReport> Import { get; } = [];
    public long? ApiPeakAfterImportBytes { get; set; }
    public RunResult? Warmup { get; set; }
    public List<RunResult> Runs { get; } = [];
    public List<IdealResult> Ideal { get; } = [];
    public IdealResult? IdealUnbudgeted { get; set; }
    public double BackgroundCommitsPerSecond { get; set; }
    public double BackgroundCommitsSpread { get; set; }
    public LoadResult? Load { get; set; }
    public RunResult? Traced { get; set; }
    public string? TraceNote { get; set; }
    public long? ApiLifetimePeakBytes { get; set; }
    public long? WorkerLifetimePeakBytes { get; set; }
    public Dictionary<string, long> ErrorQueues { get; } = [];
    public Dictionary<string, List<string>> LogProblems { get; } = [];
    public double Seconds { get; set; }
    public string? Error { get; set; }
}

public sealed record BenchResults(Dictionary<string, string> Machine, Dictionary<string, string> Settings)
{
    public List<ScenarioResult> Scenarios { get; } = [];
    public List<BrokerSample> Broker { get; } = [];
    public string? BrokerError { get; set; }
    public double Seconds { get; set; }
}
