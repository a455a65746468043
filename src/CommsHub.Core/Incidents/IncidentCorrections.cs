using System.Text.Json.Nodes;
using CommsHub.Contracts;
using CommsHub.Core.Audit;
using CommsHub.Core.Common;
using CommsHub.Core.Components;
using CommsHub.Core.Data;
using CommsHub.Core.Messaging;
using CommsHub.Core.Scheduling;
using CommsHub.Core.StatusPage;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Incidents;

/// <summary>
/// Mends what was published: a title, an impact or an update's text corrected (marked as edited on
/// every public surface, optionally sent again as a correction), or a whole incident retracted as
/// published in error. Each change is an audit entry with what it replaced.
/// </summary>
public sealed class IncidentCorrections(CommsHubDbContext db, IncidentService incidents, Scheduler scheduler, OutboxSignal outbox,
    StatusChangeSignal statusChanged, TimeProvider time)
{
    /// <returns>The incident, or null when it does not exist.</returns>
    public async Task<Incident?> PatchAsync(Guid incidentId, PatchIncidentRequest request, string actor, CancellationToken cancellationToken)
    {
        var incident = await Load(incidentId).FirstOrDefaultAsync(cancellationToken);
        if (incident is null)
        {
            return null;
        }
        if (incident.RetractedAt is not null)
        {
            throw new StateConflictException("The incident was retracted.", "A retracted incident cannot be changed.");
        }
        var errors = new FieldErrors();
        if (request.Title is not null)
        {
            IncidentService.ValidateTitle(request.Title, errors);
        }
        var impact = IncidentService.ParseOptional(request.Impact, incident.Impact, "impact", errors);
        if (incident.Draft)
        {
            return await PatchDraftAsync(incident, request, impact, errors, cancellationToken);
        }
        foreach (var (field, given) in new (string, bool)[]
                 {
                     ("message", request.Message is not null), ("status", request.Status is not null), ("components", request.Components is not null),
                     ("channels", request.Channels is not null), ("notify", request.Notify is not null),
                 })
        {
            if (given)
            {
                errors.Add(field, field == "message"
                    ? $"a published incident's text is corrected per update: PATCH /api/incidents/{incident.Id}/updates/{{updateId}}."
                    : $"{field} can be changed on a draft only; post an update to change a published incident.");
            }
        }
        errors.ThrowIfAny();

        var before = new JsonObject { ["title"] = incident.Title, ["impact"] = incident.Impact.ToWire() };
        var title = request.Title?.Trim() ?? incident.Title;
        if (title == incident.Title && impact == incident.Impact)
        {
            return incident;
        }
        var now = time.GetUtcNow();
        incident.Title = title;
        incident.Impact = impact;
        incident.EditedAt = now;
        incident.UpdatedAt = now;
        AuditLog.Append(db, now, actor, "incident.corrected", incident.Id.ToString(), new JsonObject
        {
            ["before"] = before, ["after"] = new JsonObject { ["title"] = incident.Title, ["impact"] = incident.Impact.ToWire() },
        });
        await SavePublicChangeAsync(now, cancellationToken);
        return incident;
    }

    private async Task<Incident> PatchDraftAsync(Incident incident, PatchIncidentRequest request, Impact impact, FieldErrors errors,
        CancellationToken cancellationToken)
    {
        var current = IncidentDrafts.Read(incident);
        var merged = current with
        {
            Title = request.Title ?? current.Title,
            Impact = request.Impact ?? current.Impact,
            Message = request.Message ?? current.Message,
            Status = request.Status ?? current.Status,
            Components = request.Components ?? current.Components,
            Channels = request.Channels ?? current.Channels,
            Notify = request.Notify ?? current.Notify,
        };
        var status = IncidentService.ParseIncidentStatus(merged.Status, IncidentStatus.Investigating, errors);
        await incidents.ValidateCommonAsync(merged.Message, merged.Components, merged.Channels, errors, cancellationToken);
        errors.ThrowIfAny();

        var now = time.GetUtcNow();
        incident.Title = merged.Title!.Trim();
        incident.Impact = impact;
        incident.Status = status;
        incident.DraftUpdate = IncidentDrafts.Write(merged);
        incident.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        return incident;
    }

    /// <summary>Corrects the text of a published update; with <c>notify</c> its audience gets the corrected text as a correction.</summary>
    /// <returns>The corrected update, or null when the incident or the update does not exist.</returns>
    public async Task<IncidentUpdate?> CorrectUpdateAsync(Guid incidentId, Guid updateId, CorrectUpdateRequest request, string actor,
        CancellationToken cancellationToken)
    {
        var incident = await Load(incidentId).FirstOrDefaultAsync(cancellationToken);
        var update = incident?.Updates.FirstOrDefault(u => u.Id == updateId && u.Public && u.CorrectionOf is null);
        if (incident is null || update is null)
        {
            return null;
        }
        IncidentService.EnsurePublished(incident);
        var errors = new FieldErrors();
        IncidentService.ValidateMessage(request.Message, errors);
        if (!errors.Any && request.Message!.Trim() == update.Message)
        {
            errors.Add("message", "message is the same as the update's: there is nothing to correct.");
        }
        errors.ThrowIfAny();

        var now = time.GetUtcNow();
        var before = update.Message;
        update.Message = request.Message!.Trim();
        update.EditedAt = now;
        incident.UpdatedAt = now;
        AuditLog.Append(db, now, actor, "incident.update_corrected", update.Id.ToString(), new JsonObject
        {
            ["incidentId"] = incident.Id.ToString(), ["before"] = before, ["after"] = update.Message, ["notify"] = request.Notify == true,
        });
        if (request.Notify == true)
        {
            // Sent as an update of its own (not on the public timeline, where the original now reads corrected),
            // so it has its own deliveries: one per subscriber and channel, like any update.
            var correction = new UpdateDraft(incident.Status, update.Message, [], update.Channels, Notify: true, Public: false, CorrectionOf: update.Id);
            await incidents.AppendAsync(incident, correction, now, cancellationToken);
            return update;
        }
        await SavePublicChangeAsync(now, cancellationToken);
        return update;
    }

    /// <summary>
    /// Retracts an incident published in error: gone from every public surface; kept, with its
    /// deliveries and audit, in the admin API. Its updates still scheduled are withdrawn, and the
    /// components it changed get back the status they had before it, unless something else has
    /// changed them since. A draft, never published, is simply discarded.
    /// </summary>
    /// <returns>false when it does not exist.</returns>
    public async Task<bool> RetractAsync(Guid incidentId, string actor, CancellationToken cancellationToken)
    {
        var incident = await Load(incidentId).FirstOrDefaultAsync(cancellationToken);
        if (incident is null)
        {
            return false;
        }
        var now = time.GetUtcNow();
        if (incident.Draft)
        {
            db.Incidents.Remove(incident);
            AuditLog.Append(db, now, actor, "incident.draft_discarded", incident.Id.ToString(), new JsonObject { ["title"] = incident.Title });
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        if (incident.RetractedAt is not null)
        {
            return true;
        }
        incident.RetractedAt = now;
        incident.UpdatedAt = now;

        var withdrawn = await WithdrawScheduledAsync(incident.Id, now, cancellationToken);
        var restored = await RestoreComponentsAsync(incident, now, cancellationToken);
        AuditLog.Append(db, now, actor, "incident.retracted", incident.Id.ToString(), new JsonObject
        {
            ["title"] = incident.Title,
            ["scheduledUpdatesWithdrawn"] = withdrawn.Count,
            ["componentsRestored"] = new JsonArray([.. restored.Select(r => (JsonNode)new JsonObject
            {
                ["id"] = r.Component.Id.ToString(), ["status"] = r.Status.ToWire(),
            })]),
        });
        await SavePublicChangeAsync(now, cancellationToken);
        scheduler.Withdraw(withdrawn);
        return true;
    }

    private async Task<List<string?>> WithdrawScheduledAsync(Guid incidentId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var pending = await db.ScheduledUpdates.Where(u => u.IncidentId == incidentId && u.State == ScheduledUpdateState.Scheduled).ToListAsync(cancellationToken);
        var ids = pending.Select(u => u.Id).ToList();
        var actions = await db.ScheduledActions
            .Where(a => ids.Contains(a.TargetId) && a.Kind == ScheduledActionKind.PublishUpdate && a.FiredAt == null && a.CancelledAt == null)
            .ToListAsync(cancellationToken);
        foreach (var scheduled in pending)
        {
            scheduled.State = ScheduledUpdateState.Withdrawn;
            scheduled.UpdatedAt = now;
        }
        foreach (var action in actions)
        {
            action.CancelledAt = now;
            action.Outcome = "withdrawn: the incident was retracted";
        }
        return actions.Select(a => a.JobId).ToList();
    }

    private async Task<List<(Component Component, ComponentStatus Status)>> RestoreComponentsAsync(Incident incident, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var restored = new List<(Component, ComponentStatus)>();
        var ids = incident.Components.Select(c => c.ComponentId).ToList();
        if (ids.Count == 0)
        {
            return restored;
        }
        var components = await db.Components.Where(c => ids.Contains(c.Id)).ToListAsync(cancellationToken);
        // A component another open incident or maintenance also names keeps the status it has: that one speaks for it.
        var named = await (
                from ic in db.Set<IncidentComponent>()
                join i in db.Incidents on ic.IncidentId equals i.Id
                where ids.Contains(ic.ComponentId) && ic.IncidentId != incident.Id && !i.Draft && i.RetractedAt == null
                      && i.Status != IncidentStatus.Resolved && i.Status != IncidentStatus.Postmortem && i.Status != IncidentStatus.Completed
                      && i.Status != IncidentStatus.Scheduled
                select ic.ComponentId)
            .ToListAsync(cancellationToken);
        var changes = incident.Updates.OrderBy(u => u.CreatedAt).ThenBy(u => u.Id).SelectMany(u => u.ComponentChanges).ToList();
        foreach (var component in components)
        {
            var last = incident.Components.First(c => c.ComponentId == component.Id).Status;
            var first = changes.FirstOrDefault(c => c.ComponentId == component.Id);
            if (first is null || named.Contains(component.Id) || component.Status != last || first.OldStatus == component.Status)
            {
                continue;
            }
            component.Status = first.OldStatus;
            component.UpdatedAt = now;
            ComponentStatusHistory.Record(db, component.Id, first.OldStatus, now);
            restored.Add((component, first.OldStatus));
        }
        return restored;
    }

    /// <summary>Commits a change the public surfaces show, and tells every API process to rebuild them.</summary>
    private Task SavePublicChangeAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        SavePublicChangeAsync(db, outbox, statusChanged, now, cancellationToken);

    /// <summary>Commits a change the public surfaces show that sends nothing, and tells every API process to rebuild them.</summary>
    internal static async Task SavePublicChangeAsync(CommsHubDbContext db, OutboxSignal outbox, StatusChangeSignal statusChanged, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        Outbox.Enqueue(db, new StatusPageChanged { ChangedAt = now }, now);
        await db.SaveChangesAsync(cancellationToken);
        outbox.Notify();
        statusChanged.Notify();
    }

    private IQueryable<Incident> Load(Guid incidentId) =>
        db.Incidents.Include(i => i.Components).Include(i => i.Updates).ThenInclude(u => u.ComponentChanges).AsSplitQuery()
            .Where(i => i.Id == incidentId && i.Kind == IncidentKind.Incident);
}
