namespace CommsHub.Core.Telemetry;

/// <summary>One reading of the database-backed gauges (ages in seconds).</summary>
public sealed record TelemetrySample
{
    public static readonly TelemetrySample Empty = new();

    public DateTimeOffset? At { get; init; }
    public long OutboxPending { get; init; }
    public double OutboxOldestAge { get; init; }
    public long UpdatesUnplanned { get; init; }
    public double UnplannedOldestAge { get; init; }
    public long DeliveriesQueued { get; init; }
    public long DeliveriesInDoubt { get; init; }
    public long ScheduledLate { get; init; }
    public double ScheduledLateness { get; init; }
    public long AuditUnchained { get; init; }
    public double AuditChainLag { get; init; }
    public IReadOnlyList<QueueDepth> Queues { get; init; } = [];

    /// <summary>Seconds since this sample was taken, or 0 before the first.</summary>
    public double Age => At is { } at ? Math.Max(0, (DateTimeOffset.UtcNow - at).TotalSeconds) : 0;
}

public sealed record QueueDepth(string Name, long Ready, long Unacked);
