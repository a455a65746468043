using System.Xml;
using CommsHub.Core.Common;
using CommsHub.Core.Components;
using CommsHub.Core.Data;
using CommsHub.Core.Incidents;
using CommsHub.Core.Scheduling;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Maintenances;

/// <summary>
/// Plans maintenances: announces them at once, and schedules the reminders, the start and the end
/// as actions that <see cref="ScheduledActionJob"/> fires. Every message is an update on the
/// maintenance (an incident of kind <c>maintenance</c>), so it travels the normal publish path.
/// </summary>
public sealed class MaintenanceService(CommsHubDbContext db, IncidentService incidents, Scheduler scheduler, MaintenanceTexts texts, TimeProvider time)
{
    public const int MaxReminders = 10;
    public static readonly TimeSpan MaxLead = TimeSpan.FromDays(366);

    public async Task<Incident> CreateAsync(CreateMaintenanceRequest request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var errors = new FieldErrors();
        ValidateTitle(request.Title, errors);
        if (string.IsNullOrWhiteSpace(request.Message))
        {
            errors.Add("message", "message is required.");
        }
        else if (request.Message.Length > IncidentService.MaxMessageLength)
        {
            errors.Add("message", $"message must be at most {IncidentService.MaxMessageLength} characters.");
        }
        var components = await ValidateComponentsAsync(request.Components, required: true, errors, cancellationToken);
        var window = ValidateWindow(request.ScheduledFor, request.ScheduledUntil, now, errors);
        var reminders = ParseReminders(request.Reminders, window?.From, now, errors);
        var channels = IncidentService.ParseChannels(request.Channels, errors);
        errors.ThrowIfAny();

        var maintenance = new Incident
        {
            Kind = IncidentKind.Maintenance, Title = request.Title!.Trim(), Status = IncidentStatus.Scheduled, Impact = Impact.None,
            CreatedAt = now, UpdatedAt = now, ScheduledFor = window!.Value.From, ScheduledUntil = window.Value.Until,
            Reminders = reminders, AutoTransition = request.AutoTransition ?? true,
        };
        db.Incidents.Add(maintenance);
        foreach (var component in components)
        {
            var affected = new IncidentComponent { IncidentId = maintenance.Id, ComponentId = component.Id, Status = component.Status };
            db.Add(affected);
            maintenance.Components.Add(affected);
        }
        var actions = PlanActions(maintenance, now);
        db.ScheduledActions.AddRange(actions);
        // One commit: the maintenance, its announcement (with the outbox row) and its schedule.
        await incidents.AppendAsync(maintenance, new UpdateDraft(IncidentStatus.Scheduled, request.Message!, [], channels, request.Notify ?? true), now, cancellationToken);
        await scheduler.SubmitAsync(actions, cancellationToken);
        return maintenance;
    }

    /// <summary>Reschedules, retitles or re-scopes a maintenance. A moved window moves its jobs and, unless told not to, tells subscribers.</summary>
    /// <returns>null when there is no such maintenance.</returns>
    public async Task<Incident?> ChangeAsync(Guid id, ChangeMaintenanceRequest request, CancellationToken cancellationToken)
    {
        var maintenance = await LoadAsync(id, cancellationToken);
        if (maintenance is null)
        {
            return null;
        }
        EnsureNotCompleted(maintenance);
        var now = time.GetUtcNow();
        var errors = new FieldErrors();
        if (request.Title is not null)
        {
            ValidateTitle(request.Title, errors);
        }
        var started = maintenance.Status != IncidentStatus.Scheduled;
        if (started && (request.ScheduledFor is not null || request.Components is not null || request.Reminders is not null))
        {
            errors.Add(request.ScheduledFor is not null ? "scheduledFor" : request.Components is not null ? "components" : "reminders",
                "the maintenance has started: only its title, its end and autoTransition can change.");
        }
        var from = request.ScheduledFor ?? maintenance.ScheduledFor!.Value;
        var until = request.ScheduledUntil ?? maintenance.ScheduledUntil!.Value;
        var moved = request.ScheduledFor is not null || request.ScheduledUntil is not null;
        // The start is judged only when it moves: extending a window whose start has passed is fine.
        var window = moved ? ValidateWindow(from, until, now, errors, startMayBePast: started || request.ScheduledFor is null) : (Truncate(from), Truncate(until));
        var reminders = request.Reminders is null ? maintenance.Reminders : ParseReminders(request.Reminders, window?.From, now, errors);
        if (request.Reminders is null && moved && window is { } w)
        {
            // Reminders keep their lead; any whose time has already passed for the new start are dropped.
            reminders = maintenance.Reminders.Where(r => w.From - r > now).ToList();
        }
        var components = request.Components is null ? null : await ValidateComponentsAsync(request.Components, required: true, errors, cancellationToken);
        if (request.Message is { Length: > IncidentService.MaxMessageLength })
        {
            errors.Add("message", $"message must be at most {IncidentService.MaxMessageLength} characters.");
        }
        errors.ThrowIfAny();

        moved = moved && (window!.Value.From != maintenance.ScheduledFor || window.Value.Until != maintenance.ScheduledUntil);
        maintenance.Title = request.Title?.Trim() ?? maintenance.Title;
        maintenance.ScheduledFor = window!.Value.From;
        maintenance.ScheduledUntil = window.Value.Until;
        maintenance.Reminders = reminders;
        maintenance.AutoTransition = request.AutoTransition ?? maintenance.AutoTransition;
        maintenance.UpdatedAt = now;
        if (components is not null)
        {
            db.RemoveRange(maintenance.Components.Where(c => components.All(k => k.Id != c.ComponentId)));
            maintenance.Components.RemoveAll(c => components.All(k => k.Id != c.ComponentId));
            foreach (var component in components.Where(k => maintenance.Components.All(c => c.ComponentId != k.Id)))
            {
                var affected = new IncidentComponent { IncidentId = maintenance.Id, ComponentId = component.Id, Status = component.Status };
                db.Add(affected);
                maintenance.Components.Add(affected);
            }
        }

        var withdrawn = await CancelPendingAsync(maintenance.Id, "rescheduled", now, cancellationToken);
        var actions = PlanActions(maintenance, now);
        db.ScheduledActions.AddRange(actions);
        if (moved && request.Notify != false)
        {
            var message = string.IsNullOrWhiteSpace(request.Message) ? texts.Rescheduled(maintenance) : request.Message;
            await incidents.AppendAsync(maintenance, new UpdateDraft(maintenance.Status, message, [], [], true), now, cancellationToken);
        }
        else
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        scheduler.Withdraw(withdrawn);
        await scheduler.SubmitAsync(actions, cancellationToken);
        return maintenance;
    }

    /// <summary>An operator's update: start early, verify, complete, or just a note.</summary>
    /// <returns>null when there is no such maintenance.</returns>
    public async Task<IncidentUpdate?> AddUpdateAsync(Guid id, MaintenanceUpdateRequest request, CancellationToken cancellationToken)
    {
        var maintenance = await LoadAsync(id, cancellationToken);
        if (maintenance is null)
        {
            return null;
        }
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(request.Message))
        {
            errors.Add("message", "message is required.");
        }
        else if (request.Message.Length > IncidentService.MaxMessageLength)
        {
            errors.Add("message", $"message must be at most {IncidentService.MaxMessageLength} characters.");
        }
        var status = maintenance.Status;
        if (request.Status is not null)
        {
            if (!Wire.TryParse<IncidentStatus>(request.Status, out status) || status is not (IncidentStatus.InProgress or IncidentStatus.Verifying or IncidentStatus.Completed))
            {
                errors.Add("status", $"'{request.Status}' must be one of: in_progress, verifying, completed.");
                status = maintenance.Status;
            }
        }
        var channels = IncidentService.ParseChannels(request.Channels, errors);
        errors.ThrowIfAny();
        EnsureNotCompleted(maintenance);

        var now = time.GetUtcNow();
        var notify = request.Notify ?? true;
        return status switch
        {
            IncidentStatus.Completed => await CompleteAsync(maintenance, request.Message!, channels, notify, now, cancellationToken),
            IncidentStatus.InProgress or IncidentStatus.Verifying when maintenance.Status == IncidentStatus.Scheduled =>
                await StartAsync(maintenance, status, request.Message!, channels, notify, now, cancellationToken),
            _ => await incidents.AppendAsync(maintenance, new UpdateDraft(status, request.Message!, [], channels, notify), now, cancellationToken),
        };
    }

    /// <summary>Calls a maintenance off: its jobs are removed, a cancellation is published, components under maintenance return.</summary>
    public async Task<Incident?> CancelAsync(Guid id, CancelMaintenanceRequest request, CancellationToken cancellationToken)
    {
        var maintenance = await LoadAsync(id, cancellationToken);
        if (maintenance is null)
        {
            return null;
        }
        if (request.Message is { Length: > IncidentService.MaxMessageLength })
        {
            new FieldErrors().Add("message", $"message must be at most {IncidentService.MaxMessageLength} characters.").ThrowIfAny();
        }
        EnsureNotCompleted(maintenance);
        var now = time.GetUtcNow();
        maintenance.CancelledAt = now;
        var message = string.IsNullOrWhiteSpace(request.Message) ? MaintenanceTexts.Cancelled : request.Message;
        await CompleteAsync(maintenance, message, [], request.Notify ?? true, now, cancellationToken, outcome: "cancelled");
        return maintenance;
    }

    // --- transitions, also fired by ScheduledActionJob inside the transaction that claims the action ---

    internal async Task<string> FireAsync(ScheduledAction action, CancellationToken cancellationToken)
    {
        var maintenance = await LoadAsync(action.TargetId, cancellationToken);
        if (maintenance is null)
        {
            return "nothing to do: the maintenance no longer exists";
        }
        var now = time.GetUtcNow();
        switch (action.Kind)
        {
            case ScheduledActionKind.MaintenanceReminder:
                if (maintenance.Status != IncidentStatus.Scheduled || now >= maintenance.ScheduledFor)
                {
                    return "skipped: the maintenance had already started";
                }
                var announcement = maintenance.Updates.Count > 0 ? maintenance.Updates.MinBy(u => u.CreatedAt)!.Message : "";
                // On time, the planned lead ("1 hour"); late (the worker was down), the time really left.
                var left = maintenance.ScheduledFor!.Value - now;
                var lead = action.Lead is { } planned && now - action.DueAt < TimeSpan.FromMinutes(1) ? planned : TimeSpan.FromMinutes(Math.Max(1, Math.Round(left.TotalMinutes)));
                await incidents.AppendAsync(maintenance, new UpdateDraft(IncidentStatus.Scheduled, texts.Reminder(maintenance, announcement, lead),
                    [], FirstChannels(maintenance), true, Public: false), now, cancellationToken);
                return "reminder published";
            case ScheduledActionKind.MaintenanceStart:
                if (maintenance.Status != IncidentStatus.Scheduled)
                {
                    return $"skipped: the maintenance was already {maintenance.Status.ToWire()}";
                }
                await StartAsync(maintenance, IncidentStatus.InProgress, texts.Started(maintenance), FirstChannels(maintenance), true, now, cancellationToken);
                return "started";
            case ScheduledActionKind.MaintenanceEnd:
                if (maintenance.Status == IncidentStatus.Completed)
                {
                    return "skipped: the maintenance was already completed";
                }
                await CompleteAsync(maintenance, MaintenanceTexts.Completed, FirstChannels(maintenance), true, now, cancellationToken);
                return "completed";
            default:
                throw new InvalidOperationException($"{action.Kind} is not a maintenance action.");
        }
    }

    private async Task<IncidentUpdate> StartAsync(Incident maintenance, IncidentStatus status, string message, IReadOnlyList<Channel> channels,
        bool notify, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var components = await ComponentsOfAsync(maintenance, cancellationToken);
        foreach (var affected in maintenance.Components)
        {
            affected.RestoreStatus = components.First(c => c.Id == affected.ComponentId).Status;
        }
        var withdrawn = await CancelPendingAsync(maintenance.Id, "started", now, cancellationToken, keep: ScheduledActionKind.MaintenanceEnd);
        var update = await incidents.AppendAsync(maintenance,
            new UpdateDraft(status, message, components.Select(c => (c, ComponentStatus.UnderMaintenance)).ToList(), channels, notify), now, cancellationToken);
        scheduler.Withdraw(withdrawn);
        return update;
    }

    private async Task<IncidentUpdate> CompleteAsync(Incident maintenance, string message, IReadOnlyList<Channel> channels, bool notify,
        DateTimeOffset now, CancellationToken cancellationToken, string outcome = "completed")
    {
        var components = await ComponentsOfAsync(maintenance, cancellationToken);
        // Only what the maintenance itself put under maintenance is given back; an outage declared meanwhile stays.
        var restored = new List<(Component, ComponentStatus)>();
        if (maintenance.Status is IncidentStatus.InProgress or IncidentStatus.Verifying)
        {
            var ids = components.Select(c => c.Id).ToList();
            // A component another running maintenance also covers stays under maintenance; that one gives it back later.
            var overlapping = await (
                    from ic in db.Set<IncidentComponent>()
                    join i in db.Incidents on ic.IncidentId equals i.Id
                    where ids.Contains(ic.ComponentId) && ic.IncidentId != maintenance.Id && i.Kind == IncidentKind.Maintenance
                          && (i.Status == IncidentStatus.InProgress || i.Status == IncidentStatus.Verifying)
                    select ic)
                .ToListAsync(cancellationToken);
            foreach (var component in components.Where(c => c.Status == ComponentStatus.UnderMaintenance))
            {
                var restore = maintenance.Components.First(a => a.ComponentId == component.Id).RestoreStatus ?? ComponentStatus.Operational;
                if (overlapping.FirstOrDefault(o => o.ComponentId == component.Id) is { } other)
                {
                    if (other.RestoreStatus is null or ComponentStatus.UnderMaintenance)
                    {
                        other.RestoreStatus = restore;
                    }
                    continue;
                }
                restored.Add((component, restore));
            }
        }
        var withdrawn = await CancelPendingAsync(maintenance.Id, outcome, now, cancellationToken);
        var update = await incidents.AppendAsync(maintenance, new UpdateDraft(IncidentStatus.Completed, message, restored, channels, notify), now, cancellationToken);
        scheduler.Withdraw(withdrawn);
        return update;
    }

    /// <summary>Automatic messages go where the announcement went.</summary>
    private static List<Channel> FirstChannels(Incident maintenance) =>
        maintenance.Updates.MinBy(u => u.CreatedAt)?.Channels ?? [];

    private async Task<List<string?>> CancelPendingAsync(Guid maintenanceId, string outcome, DateTimeOffset now, CancellationToken cancellationToken,
        ScheduledActionKind? keep = null)
    {
        var pending = await db.ScheduledActions
            .Where(a => a.TargetId == maintenanceId && a.FiredAt == null && a.CancelledAt == null)
            .ToListAsync(cancellationToken);
        var cancelled = pending.Where(a => a.Kind != keep).ToList();
        foreach (var action in cancelled)
        {
            action.CancelledAt = now;
            action.Outcome = outcome;
        }
        return cancelled.Select(a => a.JobId).ToList();
    }

    private static List<ScheduledAction> PlanActions(Incident maintenance, DateTimeOffset now)
    {
        var actions = new List<ScheduledAction>();
        if (maintenance.Status == IncidentStatus.Scheduled)
        {
            foreach (var lead in maintenance.Reminders.Where(r => maintenance.ScheduledFor!.Value - r > now).Order())
            {
                actions.Add(Action(ScheduledActionKind.MaintenanceReminder, maintenance.ScheduledFor!.Value - lead, lead));
            }
            if (maintenance.AutoTransition)
            {
                actions.Add(Action(ScheduledActionKind.MaintenanceStart, maintenance.ScheduledFor!.Value));
            }
        }
        if (maintenance.AutoTransition)
        {
            actions.Add(Action(ScheduledActionKind.MaintenanceEnd, maintenance.ScheduledUntil!.Value));
        }
        return actions;

        ScheduledAction Action(ScheduledActionKind kind, DateTimeOffset due, TimeSpan? lead = null) =>
            new() { Kind = kind, TargetId = maintenance.Id, DueAt = due, Lead = lead, CreatedAt = now };
    }

    private Task<Incident?> LoadAsync(Guid id, CancellationToken cancellationToken) =>
        db.Incidents.Include(i => i.Components).Include(i => i.Updates).AsSplitQuery()
            .FirstOrDefaultAsync(i => i.Id == id && i.Kind == IncidentKind.Maintenance, cancellationToken);

    private Task<List<Component>> ComponentsOfAsync(Incident maintenance, CancellationToken cancellationToken)
    {
        var ids = maintenance.Components.Select(c => c.ComponentId).ToList();
        return db.Components.Where(c => ids.Contains(c.Id)).OrderBy(c => c.Position).ThenBy(c => c.Name).ToListAsync(cancellationToken);
    }

    private static void EnsureNotCompleted(Incident maintenance)
    {
        if (maintenance.Status == IncidentStatus.Completed)
        {
            throw new StateConflictException("The maintenance is over.",
                maintenance.CancelledAt is null ? "This maintenance is completed; it can no longer change." : "This maintenance was cancelled; it can no longer change.");
        }
    }

    private static void ValidateTitle(string? title, FieldErrors errors)
    {
        if (string.IsNullOrWhiteSpace(title))
        {
            errors.Add("title", "title is required.");
        }
        else if (title.Length > IncidentService.MaxTitleLength)
        {
            errors.Add("title", $"title must be at most {IncidentService.MaxTitleLength} characters.");
        }
    }

    private async Task<List<Component>> ValidateComponentsAsync(List<Guid?>? ids, bool required, FieldErrors errors, CancellationToken cancellationToken)
    {
        if (ids is null || ids.Count == 0)
        {
            if (required)
            {
                errors.Add("components", "components must name at least one component the maintenance affects.");
            }
            return [];
        }
        var wanted = ids.OfType<Guid>().Distinct().ToList();
        var known = await db.Components.Where(c => wanted.Contains(c.Id)).ToDictionaryAsync(c => c.Id, cancellationToken);
        var result = new List<Component>();
        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] is not { } id)
            {
                errors.Add($"components[{i}]", "a component id is required.");
            }
            else if (!known.TryGetValue(id, out var component))
            {
                errors.Add($"components[{i}]", $"no component has id {id}.");
            }
            else if (result.Contains(component))
            {
                errors.Add($"components[{i}]", $"component {id} is listed twice.");
            }
            else
            {
                result.Add(component);
            }
        }
        return result;
    }

    private static (DateTimeOffset From, DateTimeOffset Until)? ValidateWindow(DateTimeOffset? from, DateTimeOffset? until, DateTimeOffset now,
        FieldErrors errors, bool startMayBePast = false)
    {
        if (from is null)
        {
            errors.Add("scheduledFor", "scheduledFor is required.");
        }
        else if (from <= now && !startMayBePast)
        {
            errors.Add("scheduledFor", $"scheduledFor must be in the future (now is {now:O}).");
        }
        else if (from - now > MaxLead)
        {
            errors.Add("scheduledFor", "scheduledFor must be within a year.");
        }
        if (until is null)
        {
            errors.Add("scheduledUntil", "scheduledUntil is required.");
        }
        else if (from is not null && until <= from)
        {
            errors.Add("scheduledUntil", "scheduledUntil must be after scheduledFor.");
        }
        else if (until <= now)
        {
            errors.Add("scheduledUntil", "scheduledUntil must be in the future.");
        }
        return from is null || until is null ? null : (Truncate(from.Value), Truncate(until.Value));
    }

    private static List<TimeSpan> ParseReminders(List<string>? reminders, DateTimeOffset? start, DateTimeOffset now, FieldErrors errors)
    {
        var result = new List<TimeSpan>();
        if (reminders is null)
        {
            return result;
        }
        if (reminders.Count > MaxReminders)
        {
            errors.Add("reminders", $"at most {MaxReminders} reminders.");
        }
        for (var i = 0; i < reminders.Count; i++)
        {
            TimeSpan lead;
            try
            {
                lead = XmlConvert.ToTimeSpan(reminders[i] ?? "");
            }
            catch (FormatException)
            {
                errors.Add($"reminders[{i}]", $"'{reminders[i]}' is not an ISO 8601 duration such as PT1H, PT30M or P1D.");
                continue;
            }
            if (lead <= TimeSpan.Zero)
            {
                errors.Add($"reminders[{i}]", "a reminder is a positive duration before the start.");
            }
            else if (start is { } s && s - lead <= now)
            {
                errors.Add($"reminders[{i}]", $"{reminders[i]} before the start is already past.");
            }
            else if (result.Contains(lead))
            {
                errors.Add($"reminders[{i}]", $"{reminders[i]} is listed twice.");
            }
            else
            {
                result.Add(lead);
            }
        }
        return result;
    }

    /// <summary>Whole milliseconds: what every database stores exactly, so the time a job carries matches the stored one.</summary>
    internal static DateTimeOffset Truncate(DateTimeOffset t) =>
        new DateTimeOffset(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
}
