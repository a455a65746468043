using System.Linq.Expressions;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Incidents;
using CommsHub.Core.Messaging;
using CommsHub.Core.StatusPage;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Scheduling;

public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>How long published outbox rows are kept (for diagnosis).</summary>
    public TimeSpan Outbox { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long fired or cancelled scheduled actions are kept.</summary>
    public TimeSpan ScheduledActions { get; set; } = TimeSpan.FromDays(90);

    /// <summary>
    /// How long inbound provider message ids are kept to recognise a redelivered or replayed webhook.
    /// Twilio's signatures carry no time, so a captured, genuinely signed STOP could be replayed as long
    /// as its id is forgotten: as long as delivery details by default.
    /// </summary>
    public TimeSpan InboundMessages { get; set; } = TimeSpan.FromDays(400);

    /// <summary>How long delivery details (the deliveries and their attempts) are kept.</summary>
    public TimeSpan Deliveries { get; set; } = TimeSpan.FromDays(400);

    /// <summary>How long audit entries are kept; the last pruned entry's hash is kept as a checkpoint, so the rest still verifies.</summary>
    public TimeSpan Audit { get; set; } = TimeSpan.FromDays(400);
}

/// <summary>
/// Every recurring job, registered in one place. Each is small and idempotent: running one twice,
/// or on two workers at once, does no harm.
/// </summary>
public sealed class Housekeeping(
    CommsHubDbContext db,
    DeliveryRedrive redrive,
    DeliveryTallies tallies,
    OutboxDispatcher outbox,
    Scheduler scheduler,
    OperatorReminders reminders,
    UptimeRollup uptime,
    Audit.AuditChain audit,
    IOptions<RetentionOptions> retention,
    TimeProvider time,
    ILogger<Housekeeping> logger)
{
    /// <summary>The recurring jobs and their default schedules (cron, six fields with seconds first where it ticks faster than a minute).</summary>
    public static readonly IReadOnlyList<(string Id, string Cron, Expression<Func<Housekeeping, Task>> Call)> Jobs =
    [
        // Every few seconds, not every second: each run of a Hangfire job costs about ten small
        // transactions in its storage, and a retry delay or the chain's lag of a few seconds is fine.
        ("deliveries-retry", "*/2 * * * * *", h => h.RetryDueDeliveriesAsync(CancellationToken.None)),
        ("delivery-tallies", "*/2 * * * * *", h => h.TallyDeliveriesAsync(CancellationToken.None)),
        ("audit-chain", "*/5 * * * * *", h => h.ChainAuditAsync(CancellationToken.None)),
        ("incident-update-reminders", "*/15 * * * * *", h => h.RemindOperatorsAsync(CancellationToken.None)),
        ("outbox-sweep", "*/30 * * * * *", h => h.SweepOutboxAsync(CancellationToken.None)),
        ("schedule-reconcile", "*/5 * * * * *", h => h.ReconcileScheduleAsync(CancellationToken.None)),
        ("uptime-rollup", "5 * * * *", h => h.RollUpUptimeAsync(CancellationToken.None)),
        ("retention", "17 3 * * *", h => h.ApplyRetentionAsync(CancellationToken.None)),
    ];

    /// <summary>Deliveries whose <c>nextAttemptAt</c> has come: their batch's send command goes out again.</summary>
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(10)]
    public Task RetryDueDeliveriesAsync(CancellationToken cancellationToken) => redrive.RedriveOnceAsync(cancellationToken);

    /// <summary>Recent updates' delivery reports are counted again for the console (<see cref="DeliveryTallies"/>).</summary>
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(30)]
    public Task TallyDeliveriesAsync(CancellationToken cancellationToken) => tallies.RefreshAsync(cancellationToken);

    /// <summary>Audit entries appended since the last run get their place in the chain and their hash.</summary>
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(30)]
    public Task ChainAuditAsync(CancellationToken cancellationToken) => audit.ChainPendingAsync(cancellationToken);

    /// <summary>Unresolved incidents without a public update for <c>Incidents:UpdateReminderAfter</c>: operators are reminded.</summary>
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(30)]
    public Task RemindOperatorsAsync(CancellationToken cancellationToken) => reminders.RemindAsync(cancellationToken);

    /// <summary>
    /// A safety net under the outbox dispatcher of every process: nothing committed waits for long. Rows younger than
    /// <c>Outbox:SweepAfter</c> are left to the dispatchers.
    /// </summary>
    [AutomaticRetry(Attempts = 0)]
    public async Task SweepOutboxAsync(CancellationToken cancellationToken)
    {
        var published = 0;
        int batch;
        do
        {
            batch = await outbox.SweepOnceAsync(cancellationToken);
            published += batch;
        }
        while (batch > 0 && published < 10_000);
        if (published > 0)
        {
            logger.LogWarning("The outbox sweep published {Count} message(s) that no dispatcher had sent", published);
        }
    }

    /// <summary>
    /// Pending scheduled actions without a live Hangfire job (lost between commit and scheduling, or
    /// taken by a worker that died) are scheduled: the overdue ones on every run, all of them on the
    /// run in the first five seconds of a minute.
    /// </summary>
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(60)]
    public Task ReconcileScheduleAsync(CancellationToken cancellationToken) =>
        scheduler.ReconcileAsync(all: time.GetUtcNow().Second < 5, cancellationToken);

    /// <summary>Closed days of each component's uptime, stored once so the status page never reads the full history.</summary>
    [AutomaticRetry(Attempts = 3)]
    [DisableConcurrentExecution(300)]
    public Task RollUpUptimeAsync(CancellationToken cancellationToken) => uptime.RollUpAsync(cancellationToken);

    [AutomaticRetry(Attempts = 3)]
    [DisableConcurrentExecution(600)]
    public async Task ApplyRetentionAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var r = retention.Value;
        var outboxBefore = now - r.Outbox;
        var actionsBefore = now - r.ScheduledActions;
        var inboundBefore = now - r.InboundMessages;
        var outboxRows = await db.OutboxMessages.Where(m => m.PublishedAt != null && m.PublishedAt < outboxBefore).ExecuteDeleteAsync(cancellationToken);
        var actions = await db.ScheduledActions
            .Where(a => (a.FiredAt != null && a.FiredAt < actionsBefore) || (a.CancelledAt != null && a.CancelledAt < actionsBefore))
            .ExecuteDeleteAsync(cancellationToken);
        var inbound = await db.InboundMessages.Where(m => m.ReceivedAt < inboundBefore).ExecuteDeleteAsync(cancellationToken);
        var deliveriesBefore = now - r.Deliveries;
        await db.ProviderMessages.Where(m => db.Deliveries.Any(d => d.Id == m.DeliveryId && d.CreatedAt < deliveriesBefore))
            .ExecuteDeleteAsync(cancellationToken);
        var deliveries = await db.Deliveries.Where(d => d.CreatedAt < deliveriesBefore).ExecuteDeleteAsync(cancellationToken);
        // An attempt made before the cut-off carried deliveries made before it, all gone above. One made since, for a
        // delivery that was older, goes at a later run: no query reaches it meanwhile, since it is read through its deliveries.
        var attempts = await db.DeliveryAttempts.Where(a => a.At < deliveriesBefore).ExecuteDeleteAsync(cancellationToken);
        // Open batches of deliveries gone with them (a batch is closed when its last queued delivery settles, and a batch
        // kept open that long has none left to send).
        await db.OpenBatches.Where(b => b.CreatedAt < deliveriesBefore).ExecuteDeleteAsync(cancellationToken);
        // In-flight marks a sender left when it stopped (a crash, a lost broker connection) cover no held delivery
        // once their deliveries were claimed again or recorded: they put nothing in doubt any more.
        await db.InFlightMarks.Where(m => !db.Deliveries.Any(d => d.UpdateId == m.UpdateId && d.Channel == m.Channel && d.Batch == m.Batch
            && d.Status == Common.DeliveryStatus.Queued && d.LeaseToken == m.LeaseToken)).ExecuteDeleteAsync(cancellationToken);
        // A confirmation's or a notice's sealed content (links, a webhook secret) goes with its deliveries.
        var messages = await db.Messages.Where(m => m.CreatedAt < deliveriesBefore).ExecuteDeleteAsync(cancellationToken);
        var audit = await PruneAuditAsync(now - r.Audit, cancellationToken);
        logger.LogInformation(
            "Retention removed {Outbox} outbox row(s), {Actions} scheduled action(s), {Inbound} inbound message id(s), {Deliveries} deliveries with {Attempts} attempts, {Messages} messages, {Audit} audit entries",
            outboxRows, actions, inbound, deliveries, attempts, messages, audit);
    }

    /// <summary>
    /// Drops chained audit entries older than the cut-off, after recording the last one's place and
    /// hash as a checkpoint in the same transaction: verification then starts from the checkpoint.
    /// </summary>
    internal async Task<int> PruneAuditAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await audit.ChainPendingAsync(cancellationToken, wait: true);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var last = await db.AuditEntries.AsNoTracking().Where(e => e.Seq != null && e.At < before).OrderByDescending(e => e.Seq)
            .Select(e => new { Seq = e.Seq!.Value, e.Hash, e.At }).FirstOrDefaultAsync(cancellationToken);
        if (last is null)
        {
            return 0;
        }
        if (!await db.AuditCheckpoints.AnyAsync(c => c.Seq == last.Seq, cancellationToken))
        {
            db.AuditCheckpoints.Add(new Audit.AuditCheckpoint { Seq = last.Seq, Hash = last.Hash!, At = time.GetUtcNow() });
            await db.SaveChangesAsync(cancellationToken);
        }
        var pruned = await db.AuditEntries.Where(e => e.Seq != null && e.Seq <= last.Seq).ExecuteDeleteAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return pruned;
    }
}
