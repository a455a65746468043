using CommsHub.Core.Data;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Scheduling;

/// <summary>
/// Keeps Hangfire in step with the scheduled actions in our database: one Hangfire job per action,
/// never per recipient. Callers commit the action first and then call <see cref="SubmitAsync"/>;
/// should the process die in between, <see cref="ReconcileAsync"/> (at start, every 5 s for overdue
/// actions, every minute for all) schedules whatever has no live job, so nothing written is ever left unscheduled.
/// </summary>
public sealed class Scheduler(CommsHubDbContext db, IBackgroundJobClient jobs, JobStorage storage, TimeProvider time, ILogger<Scheduler> logger)
{
    /// <summary>Schedules a Hangfire job for each committed action and records its id.</summary>
    public async Task SubmitAsync(IEnumerable<ScheduledAction> actions, CancellationToken cancellationToken)
    {
        var any = false;
        foreach (var action in actions.Where(a => a.IsPending))
        {
            action.JobId = Schedule(action);
            any = true;
        }
        if (any)
        {
            await db.SaveChangesAsync(cancellationToken);
        }
    }

    /// <summary>Removes the Hangfire jobs of actions that were moved or cancelled. A job that escapes still finds nothing to do.</summary>
    public void Withdraw(IEnumerable<string?> jobIds)
    {
        foreach (var id in jobIds.OfType<string>())
        {
            try
            {
                jobs.Delete(id);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Could not delete Hangfire job {JobId}; it will find its action moved and do nothing", id);
            }
        }
    }

    /// <summary>An action this late whose job has not run is looked at again: its job may belong to a worker that died.</summary>
    public static readonly TimeSpan Overdue = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Schedules every pending action whose job is missing or dead; returns how many it scheduled.
    /// <paramref name="all"/>: every pending action (at start, once a minute), else the overdue ones only (every 5 s).
    /// </summary>
    /// <remarks>
    /// A second job for an action is harmless: the first to claim the action fires it, in one
    /// transaction with its effect, and any other finds it fired (<see cref="ScheduledActionJob"/>).
    /// </remarks>
    public async Task<int> ReconcileAsync(bool all, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var query = db.ScheduledActions.Where(a => a.FiredAt == null && a.CancelledAt == null);
        if (!all)
        {
            var overdue = now - Overdue;
            query = query.Where(a => a.DueAt < overdue);
        }
        var pending = await query.OrderBy(a => a.DueAt).Take(5_000).ToListAsync(cancellationToken);
        if (pending.Count == 0)
        {
            return 0;
        }
        var reasons = new Dictionary<DeadJob, int>();
        using (var connection = storage.GetConnection())
        {
            var liveness = new JobLiveness(connection, storage.GetMonitoringApi(), now);
            foreach (var action in pending)
            {
                if (liveness.Judge(action) is not { } reason)
                {
                    continue;
                }
                action.JobId = Schedule(action);
                reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
            }
        }
        var scheduled = reasons.Values.Sum();
        if (scheduled > 0)
        {
            await db.SaveChangesAsync(cancellationToken);
            logger.LogInformation("Scheduled {Count} pending action(s) that had no live Hangfire job ({Reasons})", scheduled,
                string.Join(", ", reasons.OrderBy(r => r.Key).Select(r => $"{r.Key}: {r.Value}")));
        }
        return scheduled;
    }

    private string Schedule(ScheduledAction action)
    {
        // Always at its own due time: an action already due (the worker was down at its time) is
        // enqueued at the next poll, in due-time order with the other overdue jobs, so after an outage
        // the oldest fires first rather than behind hundreds of younger ones.
        return jobs.Schedule<ScheduledActionJob>(j => j.RunAsync(action.Id, action.DueAt, CancellationToken.None), action.DueAt);
    }
}
