using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Incidents;
using CommsHub.Core.Maintenances;
using CommsHub.Core.Messaging;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Scheduling;

/// <summary>
/// The one Hangfire job type for scheduled actions. It claims the action (marks it fired) in the
/// same transaction as everything the action does, so a job that runs twice, late, or after its
/// action moved or was cancelled has no effect beyond the first.
/// </summary>
public sealed class ScheduledActionJob(
    CommsHubDbContext db,
    MaintenanceService maintenances,
    ScheduledUpdates scheduledUpdates,
    Campaigns.CampaignService campaigns,
    OutboxSignal outbox,
    TimeProvider time,
    ILogger<ScheduledActionJob> logger)
{
    // Quick retries: a scheduled message that fails (the database is restarting) should still go out close to its time.
    [AutomaticRetry(Attempts = 10, DelaysInSeconds = [1, 2, 5, 10, 15, 30, 60, 60, 120, 300])]
    [JobDisplayName("Scheduled action {0}")]
    public async Task RunAsync(Guid actionId, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        var action = await db.ScheduledActions.AsNoTracking().FirstOrDefaultAsync(a => a.Id == actionId, cancellationToken);
        if (action is null || !action.IsPending || Math.Abs((action.DueAt - dueAt).TotalMilliseconds) >= 1)
        {
            logger.LogDebug("Scheduled action {ActionId} for {DueAt} is no longer pending at that time; nothing to do", actionId, dueAt);
            return;
        }
        // Hangfire keeps due times in whole seconds and may start a job up to a second early: never act before the time.
        // A timer may end a little before its time (its clock is coarser than the wall clock): wait again until it has come.
        for (var early = action.DueAt - time.GetUtcNow(); early > TimeSpan.Zero; early = action.DueAt - time.GetUtcNow())
        {
            await Task.Delay(early + TimeSpan.FromMilliseconds(1), time, cancellationToken);
        }
        if (action.Kind is ScheduledActionKind.PublishUpdate or ScheduledActionKind.CampaignSend)
        {
            await FireAsync(action, cancellationToken);
            return;
        }
        // A maintenance's actions happen in order: after an outage of the worker, an overdue reminder
        // goes (or is skipped) before the start, and the start before the end.
        var earlier = await db.ScheduledActions.AsNoTracking()
            .Where(a => a.TargetId == action.TargetId && a.FiredAt == null && a.CancelledAt == null && a.DueAt <= action.DueAt)
            .ToListAsync(cancellationToken);
        foreach (var next in earlier.OrderBy(a => a.DueAt).ThenBy(a => a.Kind))
        {
            await FireAsync(next, cancellationToken);
        }
    }

    private async Task FireAsync(ScheduledAction action, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var claimed = await db.ScheduledActions
            .Where(a => a.Id == action.Id && a.FiredAt == null && a.CancelledAt == null && a.DueAt == action.DueAt)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.FiredAt, now), cancellationToken);
        if (claimed == 0)
        {
            return;
        }
        var outcome = action.Kind switch
        {
            ScheduledActionKind.PublishUpdate => await scheduledUpdates.PublishAsync(action.TargetId, cancellationToken),
            ScheduledActionKind.CampaignSend => await campaigns.StartScheduledAsync(action.TargetId, cancellationToken),
            _ => await maintenances.FireAsync(action, cancellationToken),
        };
        await db.ScheduledActions.Where(a => a.Id == action.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Outcome, outcome), cancellationToken);
        Audit.AuditLog.Append(db, now, "scheduler", "schedule." + action.Kind.ToWire(), action.TargetId.ToString(), new JsonObject
        {
            ["action"] = action.Id.ToString(),
            ["dueAt"] = action.DueAt.ToString("O"),
            ["outcome"] = outcome,
        });
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        outbox.Notify();
        logger.LogInformation("Scheduled {Kind} for {TargetId} due {DueAt:O} fired {Late:F1} s after its time: {Outcome}",
            action.Kind, action.TargetId, action.DueAt, (now - action.DueAt).TotalSeconds, outcome);
    }
}
