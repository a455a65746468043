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

    /// <summary>How long inbound provider message ids are kept to recognise a redelivered webhook.</summary>
    public TimeSpan InboundMessages { get; set; } = TimeSpan.FromDays(30);
}

/// <summary>
/// Every recurring job, registered in one place. Each is small and idempotent: running one twice,
/// or on two workers at once, does no harm.
/// </summary>
public sealed class Housekeeping(
    CommsHubDbContext db,
    DeliveryRedrive redrive,
    OutboxDispatcher outbox,
    Scheduler scheduler,
    OperatorReminders reminders,
    UptimeRollup uptime,
    IOptions<RetentionOptions> retention,
    TimeProvider time,
    ILogger<Housekeeping> logger)
{
    /// <summary>The recurring jobs and their default schedules (cron, six fields with seconds first where it ticks faster than a minute).</summary>
    public static readonly IReadOnlyList<(string Id, string Cron, Expression<Func<Housekeeping, Task>> Call)> Jobs =
    [
        ("deliveries-retry", "* * * * * *", h => h.RetryDueDeliveriesAsync(CancellationToken.None)),
        ("incident-update-reminders", "*/15 * * * * *", h => h.RemindOperatorsAsync(CancellationToken.None)),
        ("outbox-sweep", "*/30 * * * * *", h => h.SweepOutboxAsync(CancellationToken.None)),
        ("schedule-reconcile", "* * * * *", h => h.ReconcileScheduleAsync(CancellationToken.None)),
        ("uptime-rollup", "5 * * * *", h => h.RollUpUptimeAsync(CancellationToken.None)),
        ("retention", "17 3 * * *", h => h.ApplyRetentionAsync(CancellationToken.None)),
    ];

    /// <summary>Deliveries whose <c>nextAttemptAt</c> has come: their batch's send command goes out again.</summary>
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(10)]
    public Task RetryDueDeliveriesAsync(CancellationToken cancellationToken) => redrive.RedriveOnceAsync(cancellationToken);

    /// <summary>Unresolved incidents without a public update for <c>Incidents:UpdateReminderAfter</c>: operators are reminded.</summary>
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(30)]
    public Task RemindOperatorsAsync(CancellationToken cancellationToken) => reminders.RemindAsync(cancellationToken);

    /// <summary>A safety net under the outbox dispatcher of every process: nothing committed waits for long.</summary>
    [AutomaticRetry(Attempts = 0)]
    public async Task SweepOutboxAsync(CancellationToken cancellationToken)
    {
        var published = 0;
        int batch;
        do
        {
            batch = await outbox.DispatchOnceAsync(cancellationToken);
            published += batch;
        }
        while (batch > 0 && published < 10_000);
        if (published > 0)
        {
            logger.LogWarning("The outbox sweep published {Count} message(s) that no dispatcher had sent", published);
        }
    }

    /// <summary>Pending scheduled actions without a live Hangfire job (lost between commit and scheduling) are scheduled.</summary>
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(60)]
    public Task ReconcileScheduleAsync(CancellationToken cancellationToken) => scheduler.ReconcileAsync(cancellationToken);

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
        logger.LogInformation("Retention removed {Outbox} outbox row(s), {Actions} scheduled action(s), {Inbound} inbound message id(s)", outboxRows, actions, inbound);
    }
}
