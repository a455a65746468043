using CommsHub.Core.Audit;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Telemetry;

/// <summary>
/// Reads the database-backed gauges every <see cref="MetricsOptions.SampleInterval"/>, each through a
/// partial index (unpublished outbox rows, unplanned updates, queued and leased deliveries, pending
/// actions, unchained audit entries), and keeps the latest reading for <see cref="CommsHubMetrics"/>:
/// however often Prometheus scrapes, the database sees one small set of queries per interval per process.
/// </summary>
public sealed class TelemetrySampler(
    IServiceScopeFactory scopes,
    QueueDepthReader queues,
    IOptions<MetricsOptions> options,
    TimeProvider time,
    ILogger<TelemetrySampler> logger) : BackgroundService
{
    private static volatile TelemetrySample _latest = TelemetrySample.Empty;
    private static volatile bool _auditBroken;
    private DateTimeOffset _nextVerification = DateTimeOffset.MinValue;

    public static TelemetrySample Latest => _latest;

    public static bool AuditChainBroken => _auditBroken;

    /// <summary>Every verification (the API's, the console's, this sampler's) sets the chain gauge.</summary>
    public static void AuditVerified(bool valid) => _auditBroken = !valid;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.SampleInterval > TimeSpan.Zero ? options.Value.SampleInterval : TimeSpan.FromSeconds(10);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                _latest = await SampleAsync(stoppingToken);
                await VerifyAuditIfDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The gauges keep their last reading; commshub_telemetry_sample_age tells how old it is.
                logger.LogWarning(ex, "Reading the metrics gauges failed; trying again in {Interval}", interval);
            }
            try
            {
                await Task.Delay(interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async Task<TelemetrySample> SampleAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        var now = time.GetUtcNow();
        var outbox = db.OutboxMessages.AsNoTracking().Where(m => m.PublishedAt == null);
        var unplanned = db.IncidentUpdates.AsNoTracking().Where(u => u.PlannedAt == null);
        var late = db.ScheduledActions.AsNoTracking().Where(a => a.FiredAt == null && a.CancelledAt == null && a.DueAt < now);
        var unchained = db.AuditEntries.AsNoTracking().Where(e => e.Seq == null);
        return new TelemetrySample
        {
            At = now,
            OutboxPending = await outbox.LongCountAsync(cancellationToken),
            OutboxOldestAge = Age(now, await outbox.OrderBy(m => m.Id).Select(m => (DateTimeOffset?)m.CreatedAt).FirstOrDefaultAsync(cancellationToken)),
            UpdatesUnplanned = await unplanned.LongCountAsync(cancellationToken),
            UnplannedOldestAge = Age(now, await unplanned.OrderBy(u => u.CreatedAt).Select(u => (DateTimeOffset?)u.CreatedAt).FirstOrDefaultAsync(cancellationToken)),
            // Through the open batches and the batches' index: no index of the deliveries names their status. A count per
            // batch (a scalar subquery, run per batch whatever the statistics say) rather than a join, which PostgreSQL
            // may plan as a scan of every delivery while its statistics do not know the update being sent.
            DeliveriesQueued = await QueuedPerOpenBatch(db).SumAsync(cancellationToken),
            // Held under a claim that lapsed after its sender marked requests in flight: read from the few marks, through
            // the batch's index (a count over every queued delivery would read each one's row during a large fan-out).
            DeliveriesInDoubt = await InDoubtPerMark(db, now).SumAsync(cancellationToken),
            ScheduledLate = await late.LongCountAsync(cancellationToken),
            ScheduledLateness = Age(now, await late.OrderBy(a => a.DueAt).Select(a => (DateTimeOffset?)a.DueAt).FirstOrDefaultAsync(cancellationToken)),
            AuditUnchained = await unchained.LongCountAsync(cancellationToken),
            AuditChainLag = Age(now, await unchained.OrderBy(e => e.Id).Select(e => (DateTimeOffset?)e.At).FirstOrDefaultAsync(cancellationToken)),
            Queues = await queues.ReadAsync(cancellationToken),
        };
    }

    private async Task VerifyAuditIfDueAsync(CancellationToken cancellationToken)
    {
        var every = options.Value.AuditVerifyInterval;
        var now = time.GetUtcNow();
        if (every <= TimeSpan.Zero || now < _nextVerification)
        {
            return;
        }
        _nextVerification = now + every;
        await using var scope = scopes.CreateAsyncScope();
        var verification = await scope.ServiceProvider.GetRequiredService<AuditChain>().VerifyAsync(cancellationToken);
        if (!verification.Valid)
        {
            logger.LogError("The audit chain is broken at record {Record}: {Problem}", verification.FirstBrokenRecord, verification.Problem);
        }
    }

    private static double Age(DateTimeOffset now, DateTimeOffset? since) => since is { } at && at < now ? (now - at).TotalSeconds : 0;

    /// <summary>
    /// The deliveries each in-flight mark holds under a lapsed claim (a sender that died), counted through the batches' index. A
    /// request left unanswered (a time-out) keeps its mark without a claim time and is not counted: it waits for its retry,
    /// which looks it up first, and a slow provider is not a dead sender.
    /// </summary>
    internal static IQueryable<long> InDoubtPerMark(CommsHubDbContext db, DateTimeOffset now) => db.InFlightMarks.AsNoTracking()
        .Select(m => (long)db.Deliveries.Count(d => d.UpdateId == m.UpdateId && d.Channel == m.Channel && d.Batch == m.Batch
            && d.LeaseToken == m.LeaseToken && d.Status == DeliveryStatus.Queued && d.LeaseUntil < now));

    /// <summary>The queued deliveries of each open batch, counted through the batches' index.</summary>
    internal static IQueryable<long> QueuedPerOpenBatch(CommsHubDbContext db) => db.OpenBatches.AsNoTracking()
        .Select(b => (long)db.Deliveries.Count(d => d.UpdateId == b.UpdateId && d.Channel == b.Channel && d.Batch == b.Batch
            && d.Status == DeliveryStatus.Queued));
}
