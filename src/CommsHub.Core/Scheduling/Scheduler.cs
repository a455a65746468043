using CommsHub.Core.Data;
using Hangfire;
using Hangfire.States;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Scheduling;

/// <summary>
/// Keeps Hangfire in step with the scheduled actions in our database: one Hangfire job per action,
/// never per recipient. Callers commit the action first and then call <see cref="SubmitAsync"/>;
/// should the process die in between, <see cref="ReconcileAsync"/> (at start and every minute)
/// schedules whatever has no live job, so nothing written is ever left unscheduled.
/// </summary>
public sealed class Scheduler(CommsHubDbContext db, IBackgroundJobClient jobs, JobStorage storage, TimeProvider time, ILogger<Scheduler> logger)
{
    private static readonly HashSet<string> LiveStates = new(StringComparer.OrdinalIgnoreCase)
    {
        ScheduledState.StateName, EnqueuedState.StateName, ProcessingState.StateName, AwaitingState.StateName,
    };

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

    /// <summary>Schedules every pending action whose job is missing or dead; returns how many it scheduled.</summary>
    public async Task<int> ReconcileAsync(CancellationToken cancellationToken)
    {
        var pending = await db.ScheduledActions.Where(a => a.FiredAt == null && a.CancelledAt == null)
            .OrderBy(a => a.DueAt).ToListAsync(cancellationToken);
        if (pending.Count == 0)
        {
            return 0;
        }
        var scheduled = 0;
        using (var connection = storage.GetConnection())
        {
            foreach (var action in pending)
            {
                var state = action.JobId is null ? null : connection.GetStateData(action.JobId)?.Name;
                if (state is not null && LiveStates.Contains(state))
                {
                    continue;
                }
                action.JobId = Schedule(action);
                scheduled++;
            }
        }
        if (scheduled > 0)
        {
            await db.SaveChangesAsync(cancellationToken);
            logger.LogInformation("Scheduled {Count} pending action(s) that had no live Hangfire job", scheduled);
        }
        return scheduled;
    }

    private string Schedule(ScheduledAction action)
    {
        // An action already due (the worker was down at its time) is enqueued at once.
        var at = action.DueAt > time.GetUtcNow() ? action.DueAt : time.GetUtcNow();
        return jobs.Schedule<ScheduledActionJob>(j => j.RunAsync(action.Id, action.DueAt, CancellationToken.None), at);
    }
}
