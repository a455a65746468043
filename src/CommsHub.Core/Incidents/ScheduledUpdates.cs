using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Scheduling;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Incidents;

/// <summary>Incident updates written now and published at a set time; until then they can be changed or withdrawn.</summary>
public sealed class ScheduledUpdates(CommsHubDbContext db, IncidentService incidents, Scheduler scheduler, TimeProvider time)
{
    public static readonly TimeSpan MaxLead = TimeSpan.FromDays(366);

    /// <returns>null when the incident does not exist.</returns>
    public async Task<ScheduledUpdate?> ScheduleAsync(Guid incidentId, CreateUpdateRequest request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!await db.Incidents.AnyAsync(i => i.Id == incidentId && i.Kind == Common.IncidentKind.Incident, cancellationToken))
        {
            return null;
        }
        // Every field error at once: the time and the update's own.
        var errors = new FieldErrors();
        ValidatePublishAt(request.PublishAt, now, errors);
        await errors.CollectAsync(() => incidents.ValidateUpdateAsync(incidentId, request, cancellationToken));
        errors.ThrowIfAny();
        var scheduled = new ScheduledUpdate
        {
            IncidentId = incidentId, PublishAt = request.PublishAt!.Value.ToUniversalTime(), Request = ScheduledUpdate.WriteRequest(request),
            CreatedAt = now, UpdatedAt = now,
        };
        var action = new ScheduledAction { Kind = ScheduledActionKind.PublishUpdate, TargetId = scheduled.Id, DueAt = scheduled.PublishAt, CreatedAt = now };
        db.ScheduledUpdates.Add(scheduled);
        db.ScheduledActions.Add(action);
        await db.SaveChangesAsync(cancellationToken);
        await scheduler.SubmitAsync([action], cancellationToken);
        return scheduled;
    }

    public Task<List<ScheduledUpdate>> ListAsync(Guid incidentId, CancellationToken cancellationToken) =>
        db.ScheduledUpdates.AsNoTracking().Where(u => u.IncidentId == incidentId).OrderBy(u => u.PublishAt).ThenBy(u => u.Id).ToListAsync(cancellationToken);

    public Task<ScheduledUpdate?> GetAsync(Guid incidentId, Guid id, CancellationToken cancellationToken) =>
        db.ScheduledUpdates.AsNoTracking().FirstOrDefaultAsync(u => u.IncidentId == incidentId && u.Id == id, cancellationToken);

    /// <summary>Changes what a scheduled update says or when it goes out; fields left out keep their value.</summary>
    /// <returns>null when it does not exist.</returns>
    public async Task<ScheduledUpdate?> ChangeAsync(Guid incidentId, Guid id, CreateUpdateRequest change, CancellationToken cancellationToken)
    {
        var scheduled = await db.ScheduledUpdates.FirstOrDefaultAsync(u => u.IncidentId == incidentId && u.Id == id, cancellationToken);
        if (scheduled is null)
        {
            return null;
        }
        EnsureScheduled(scheduled);
        var now = time.GetUtcNow();
        if (change.PublishAt is not null)
        {
            var errors = new FieldErrors();
            ValidatePublishAt(change.PublishAt, now, errors);
            errors.ThrowIfAny();
        }
        var current = scheduled.ReadRequest();
        var merged = new CreateUpdateRequest(
            change.Message ?? current.Message, change.Status ?? current.Status, change.Impact ?? current.Impact,
            change.Components ?? current.Components, change.Channels ?? current.Channels, change.Notify ?? current.Notify);
        await incidents.ValidateUpdateAsync(incidentId, merged, cancellationToken);

        scheduled.Request = ScheduledUpdate.WriteRequest(merged);
        scheduled.UpdatedAt = now;
        var action = await PendingActionAsync(scheduled.Id, cancellationToken);
        string? oldJob = null;
        if (change.PublishAt is { } publishAt && action is not null && publishAt.ToUniversalTime() != scheduled.PublishAt)
        {
            scheduled.PublishAt = publishAt.ToUniversalTime();
            // The old job finds the due time moved and does nothing; it is removed as well.
            oldJob = action.JobId;
            action.DueAt = scheduled.PublishAt;
            action.JobId = null;
        }
        await db.SaveChangesAsync(cancellationToken);
        if (action is { JobId: null })
        {
            scheduler.Withdraw([oldJob]);
            await scheduler.SubmitAsync([action], cancellationToken);
        }
        return scheduled;
    }

    /// <returns>false when it does not exist.</returns>
    public async Task<bool> WithdrawAsync(Guid incidentId, Guid id, CancellationToken cancellationToken)
    {
        var scheduled = await db.ScheduledUpdates.FirstOrDefaultAsync(u => u.IncidentId == incidentId && u.Id == id, cancellationToken);
        if (scheduled is null)
        {
            return false;
        }
        EnsureScheduled(scheduled);
        var now = time.GetUtcNow();
        scheduled.State = ScheduledUpdateState.Withdrawn;
        scheduled.UpdatedAt = now;
        var action = await PendingActionAsync(scheduled.Id, cancellationToken);
        if (action is not null)
        {
            action.CancelledAt = now;
            action.Outcome = "withdrawn";
        }
        await db.SaveChangesAsync(cancellationToken);
        scheduler.Withdraw([action?.JobId]);
        return true;
    }

    /// <summary>Publishes a scheduled update; called by its action, inside the transaction that marks the action fired.</summary>
    internal async Task<string> PublishAsync(Guid id, CancellationToken cancellationToken)
    {
        var scheduled = await db.ScheduledUpdates.FirstAsync(u => u.Id == id, cancellationToken);
        if (scheduled.State != ScheduledUpdateState.Scheduled)
        {
            return $"nothing to do: the update is {scheduled.State.ToWire()}";
        }
        try
        {
            var update = await incidents.AddUpdateAsync(scheduled.IncidentId, scheduled.ReadRequest(), cancellationToken);
            scheduled.State = ScheduledUpdateState.Published;
            scheduled.UpdateId = update!.Id;
            scheduled.UpdatedAt = time.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken);
            return $"published as update {update.Id}";
        }
        catch (Exception refused) when (refused is ValidationException or StateConflictException)
        {
            // It validated when it was scheduled; something it names changed since (a component, or the
            // incident was retracted). Kept as failed, with why.
            db.ChangeTracker.Clear();
            var failed = await db.ScheduledUpdates.FirstAsync(u => u.Id == id, cancellationToken);
            failed.State = ScheduledUpdateState.Failed;
            failed.Error = refused is ValidationException invalid
                ? string.Join(" ", invalid.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")))
                : refused.Message;
            failed.UpdatedAt = time.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken);
            return "failed: " + failed.Error;
        }
    }

    private Task<ScheduledAction?> PendingActionAsync(Guid scheduledUpdateId, CancellationToken cancellationToken) =>
        db.ScheduledActions.FirstOrDefaultAsync(a => a.TargetId == scheduledUpdateId && a.Kind == ScheduledActionKind.PublishUpdate
                                                     && a.FiredAt == null && a.CancelledAt == null, cancellationToken);

    private static void EnsureScheduled(ScheduledUpdate scheduled)
    {
        if (scheduled.State != ScheduledUpdateState.Scheduled)
        {
            throw new StateConflictException("The update is no longer scheduled.",
                $"This scheduled update is {scheduled.State.ToWire()}; only a scheduled one can be changed or withdrawn.");
        }
    }

    private static void ValidatePublishAt(DateTimeOffset? publishAt, DateTimeOffset now, FieldErrors errors)
    {
        if (publishAt is null)
        {
            errors.Add("publishAt", "publishAt is required.");
        }
        else if (publishAt <= now)
        {
            errors.Add("publishAt", $"publishAt must be in the future (it is {publishAt:O}; now is {now:O}); leave it out to publish now.");
        }
        else if (publishAt - now > MaxLead)
        {
            errors.Add("publishAt", "publishAt must be within a year.");
        }
    }
}
