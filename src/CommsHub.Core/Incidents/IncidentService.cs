using CommsHub.Contracts;
using CommsHub.Core.Common;
using CommsHub.Core.Components;
using CommsHub.Core.Data;
using CommsHub.Core.Messaging;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Incidents;

/// <summary>
/// Opens incidents and posts updates. The update, its component changes and the outbox row that
/// announces it commit in one transaction; the API answers without waiting for any send.
/// </summary>
public sealed class IncidentService(CommsHubDbContext db, OutboxSignal outbox, StatusPage.StatusChangeSignal statusChanged, TimeProvider time, IncidentTemplates templates)
{
    public const int MaxTitleLength = 500;
    public const int MaxMessageLength = 20_000;

    public async Task<Incident> CreateAsync(CreateIncidentRequest request, CancellationToken cancellationToken)
    {
        (request, var status, var impact, var common) = await ValidateNewAsync(request, cancellationToken);

        var now = time.GetUtcNow();
        var incident = new Incident { Title = request.Title!.Trim(), Status = status, Impact = impact, CreatedAt = now, UpdatedAt = now };
        db.Incidents.Add(incident);
        if (request.Draft == true)
        {
            // Nothing public, nothing sent, no component touched: the first update waits as written.
            incident.Draft = true;
            incident.DraftUpdate = IncidentDrafts.Write(request);
            await db.SaveChangesAsync(cancellationToken);
            return incident;
        }
        await AppendAsync(incident, new UpdateDraft(status, request.Message!, common.Components, common.Channels, request.Notify ?? true), now, cancellationToken);
        return incident;
    }

    /// <summary>
    /// Validates a new incident (from its template, when it names one) exactly as creating it does:
    /// for a create, its preview and a draft's publication alike.
    /// </summary>
    private async Task<(CreateIncidentRequest Request, IncidentStatus Status, Impact Impact, ValidatedCommon Common)> ValidateNewAsync(
        CreateIncidentRequest request, CancellationToken cancellationToken)
    {
        request = await templates.ApplyAsync(request, cancellationToken);
        var errors = new FieldErrors();
        ValidateTitle(request.Title, errors);
        var status = ParseIncidentStatus(request.Status, IncidentStatus.Investigating, errors);
        var impact = ParseOptional(request.Impact, Impact.None, "impact", errors);
        var common = await ValidateCommonAsync(request.Message, request.Components, request.Channels, errors, cancellationToken);
        errors.ThrowIfAny();
        return (request, status, impact, common);
    }

    /// <summary>
    /// Publishes a draft: its first update is validated again (a component may have gone since it was
    /// written) and sent as a new incident's would be, dated now.
    /// </summary>
    /// <returns>The incident, or null when it does not exist.</returns>
    public async Task<Incident?> PublishDraftAsync(Guid incidentId, CancellationToken cancellationToken)
    {
        var incident = await db.Incidents.Include(i => i.Components).Include(i => i.Updates).AsSplitQuery()
            .FirstOrDefaultAsync(i => i.Id == incidentId && i.Kind == IncidentKind.Incident, cancellationToken);
        if (incident is null)
        {
            return null;
        }
        if (!incident.Draft)
        {
            throw new StateConflictException("The incident is not a draft.", "This incident was published already; post an update instead.");
        }
        var (request, status, impact, common) = await ValidateNewAsync(IncidentDrafts.Read(incident), cancellationToken);

        var now = time.GetUtcNow();
        incident.Draft = false;
        incident.DraftUpdate = null;
        incident.CreatedAt = now;
        incident.Impact = impact;
        await AppendAsync(incident, new UpdateDraft(status, request.Message!, common.Components, common.Channels, request.Notify ?? true), now, cancellationToken);
        return incident;
    }

    /// <returns>The update, or null when the incident does not exist.</returns>
    public async Task<IncidentUpdate?> AddUpdateAsync(Guid incidentId, CreateUpdateRequest request, CancellationToken cancellationToken)
    {
        var incident = await db.Incidents.Include(i => i.Components)
            .FirstOrDefaultAsync(i => i.Id == incidentId && i.Kind == IncidentKind.Incident, cancellationToken);
        if (incident is null)
        {
            return null;
        }
        var (draft, impact) = await ValidateUpdateAsync(incident, request, cancellationToken);
        incident.Impact = impact;
        return await AppendAsync(incident, draft, time.GetUtcNow(), cancellationToken);
    }

    /// <summary>Validates an update exactly as posting it would, without posting it: for updates scheduled for later.</summary>
    /// <returns>false when the incident does not exist.</returns>
    public async Task<bool> ValidateUpdateAsync(Guid incidentId, CreateUpdateRequest request, CancellationToken cancellationToken)
    {
        var incident = await db.Incidents.AsNoTracking().Include(i => i.Components)
            .FirstOrDefaultAsync(i => i.Id == incidentId && i.Kind == IncidentKind.Incident, cancellationToken);
        if (incident is null)
        {
            return false;
        }
        await ValidateUpdateAsync(incident, request, cancellationToken);
        return true;
    }

    private async Task<(UpdateDraft Draft, Impact Impact)> ValidateUpdateAsync(Incident incident, CreateUpdateRequest request, CancellationToken cancellationToken)
    {
        EnsurePublished(incident);
        var errors = new FieldErrors();
        var status = ParseIncidentStatus(request.Status, incident.Status, errors);
        var impact = ParseOptional(request.Impact, incident.Impact, "impact", errors);
        var common = await ValidateCommonAsync(request.Message, request.Components, request.Channels, errors, cancellationToken);
        errors.ThrowIfAny();
        return (new UpdateDraft(status, request.Message!, common.Components, common.Channels, request.Notify ?? true), impact);
    }

    /// <summary>
    /// What an update would say if posted now, validated exactly as a real one: for previews.
    /// Nothing is stored (the caller's scope, and its tracked changes, are discarded).
    /// </summary>
    /// <returns>null when the incident does not exist.</returns>
    public async Task<UpdatePreview?> PreviewAsync(Guid incidentId, CreateUpdateRequest request, CancellationToken cancellationToken)
    {
        var incident = await db.Incidents.AsNoTracking().Include(i => i.Components).Include(i => i.Updates).ThenInclude(u => u.ComponentChanges)
            .AsSplitQuery().FirstOrDefaultAsync(i => i.Id == incidentId, cancellationToken);
        if (incident is null)
        {
            return null;
        }
        var errors = new FieldErrors();
        var status = incident.Kind == IncidentKind.Incident
            ? ParseIncidentStatus(request.Status, incident.Status, errors)
            : ParseOptional(request.Status, incident.Status, "status", errors);
        var impact = ParseOptional(request.Impact, incident.Impact, "impact", errors);
        var common = await ValidateCommonAsync(request.Message, request.Components, request.Channels, errors, cancellationToken);
        errors.ThrowIfAny();

        var now = time.GetUtcNow();
        var update = new IncidentUpdate
        {
            IncidentId = incident.Id, Status = status, Message = request.Message!.Trim(), CreatedAt = now,
            Notify = request.Notify ?? true, Channels = common.Channels,
        };
        var components = incident.Components.ToDictionary(c => c.ComponentId, c => c.Status);
        foreach (var (component, newStatus) in common.Components)
        {
            update.ComponentChanges.Add(new ComponentChange { UpdateId = update.Id, ComponentId = component.Id, OldStatus = component.Status, NewStatus = newStatus });
            components[component.Id] = newStatus;
        }
        incident.Impact = impact;
        incident.Status = status;
        incident.Updates.Add(update);
        return new UpdatePreview(incident, update, await InSentOrderAsync(components, cancellationToken));
    }

    /// <summary>
    /// What a new incident's first message would say if it were created now, validated exactly as
    /// <see cref="CreateAsync"/> validates: for the first-message preview. The incident and its update
    /// are built but never tracked, so nothing is stored.
    /// </summary>
    public async Task<UpdatePreview> PreviewNewAsync(CreateIncidentRequest request, CancellationToken cancellationToken)
    {
        (request, var status, var impact, var common) = await ValidateNewAsync(request, cancellationToken);

        var now = time.GetUtcNow();
        var incident = new Incident
        {
            Title = request.Title!.Trim(), Status = status, Impact = impact, CreatedAt = now, UpdatedAt = now,
            ResolvedAt = Incident.IsClosed(status) ? now : null,
        };
        var update = new IncidentUpdate
        {
            IncidentId = incident.Id, Status = status, Message = request.Message!.Trim(), CreatedAt = now,
            Notify = request.Notify ?? true, Channels = common.Channels,
        };
        foreach (var (component, newStatus) in common.Components)
        {
            update.ComponentChanges.Add(new ComponentChange { UpdateId = update.Id, ComponentId = component.Id, OldStatus = component.Status, NewStatus = newStatus });
            incident.Components.Add(new IncidentComponent { IncidentId = incident.Id, ComponentId = component.Id, Status = newStatus });
        }
        incident.Updates.Add(update);
        var components = await InSentOrderAsync(common.Components.ToDictionary(c => c.Component.Id, c => c.Status), cancellationToken);
        return new UpdatePreview(incident, update, components);
    }

    /// <summary>Names and statuses in the order a sent message lists them: UpdateContentLoader's, sorted by the database.</summary>
    private async Task<List<(string Name, ComponentStatus Status)>> InSentOrderAsync(Dictionary<Guid, ComponentStatus> components, CancellationToken cancellationToken)
    {
        var ordered = await db.Components.AsNoTracking().Where(c => components.Keys.Contains(c.Id))
            .OrderBy(c => c.Position).ThenBy(c => c.Name).Select(c => new { c.Id, c.Name }).ToListAsync(cancellationToken);
        return ordered.Select(c => (c.Name, components[c.Id])).ToList();
    }

    /// <summary>
    /// Appends an update and its component changes to a tracked incident and commits them with the
    /// outbox row that announces it. Every update, whoever makes it (an operator, a maintenance
    /// transition, a scheduled update), is written here.
    /// </summary>
    internal async Task<IncidentUpdate> AppendAsync(Incident incident, UpdateDraft draft, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var update = new IncidentUpdate
        {
            IncidentId = incident.Id,
            Status = draft.Status,
            Message = draft.Message.Trim(),
            CreatedAt = now,
            Notify = draft.Notify,
            Public = draft.Public,
            Channels = [.. draft.Channels],
            CorrectionOf = draft.CorrectionOf,
        };
        foreach (var (component, newStatus) in draft.Components)
        {
            update.ComponentChanges.Add(new ComponentChange
            {
                UpdateId = update.Id, ComponentId = component.Id, OldStatus = component.Status, NewStatus = newStatus,
            });
            if (component.Status != newStatus)
            {
                ComponentStatusHistory.Record(db, component.Id, newStatus, now);
            }
            component.Status = newStatus;
            component.UpdatedAt = now;
            var affected = incident.Components.FirstOrDefault(c => c.ComponentId == component.Id);
            if (affected is null)
            {
                // Added explicitly: EF would take a child with a client-set key, found through a
                // tracked parent's navigation, for an existing row.
                var added = new IncidentComponent { IncidentId = incident.Id, ComponentId = component.Id, Status = newStatus };
                db.Add(added);
                // Adding it to the context already put it in the tracked incident's list.
                if (!incident.Components.Contains(added))
                {
                    incident.Components.Add(added);
                }
            }
            else
            {
                affected.Status = newStatus;
            }
        }

        incident.Status = draft.Status;
        incident.UpdatedAt = now;
        incident.ResolvedAt = Incident.IsClosed(draft.Status) ? incident.ResolvedAt ?? now : null;
        db.IncidentUpdates.Add(update);
        // As above: once tracked, the update is already in the incident's list.
        if (!incident.Updates.Contains(update))
        {
            incident.Updates.Add(update);
        }

        Outbox.Enqueue(db, new IncidentUpdatePublished { UpdateId = update.Id, IncidentId = incident.Id, PublishedAt = now }, now);
        // The incident's row is locked from its update to the commit: in one round trip, updates posted to one incident
        // side by side wait for each other's statements only, never for a busy client's COMMIT.
        await db.SaveChangesInOneRoundTripAsync(cancellationToken);
        outbox.Notify();
        statusChanged.Notify();
        return update;
    }

    internal sealed record ValidatedCommon(List<(Component Component, ComponentStatus Status)> Components, List<Channel> Channels);

    internal async Task<ValidatedCommon> ValidateCommonAsync(string? message, List<ComponentStatusRequest>? components,
        List<string>? channels, FieldErrors errors, CancellationToken cancellationToken)
    {
        ValidateMessage(message, errors);

        var resolvedComponents = new List<(Component, ComponentStatus)>();
        if (components is { Count: > 0 })
        {
            var ids = components.Where(c => c?.Id is not null).Select(c => c!.Id!.Value).Distinct().ToList();
            var known = await db.Components.Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, cancellationToken);
            var seen = new HashSet<Guid>();
            for (var i = 0; i < components.Count; i++)
            {
                var c = components[i];
                if (c?.Id is null)
                {
                    errors.Add($"components[{i}].id", "id is required.");
                    continue;
                }
                if (!known.TryGetValue(c.Id.Value, out var component))
                {
                    errors.Add($"components[{i}].id", $"no component has id {c.Id}.");
                    continue;
                }
                if (!seen.Add(c.Id.Value))
                {
                    errors.Add($"components[{i}].id", $"component {c.Id} is listed twice.");
                    continue;
                }
                if (!Wire.TryParse<ComponentStatus>(c.Status, out var status))
                {
                    errors.Add($"components[{i}].status", c.Status is null ? "status is required." : $"'{c.Status}' {Wire.OneOf<ComponentStatus>()}.");
                    continue;
                }
                resolvedComponents.Add((component, status));
            }
        }

        var resolvedChannels = ParseChannels(channels, errors);
        return new ValidatedCommon(resolvedComponents, resolvedChannels);
    }

    /// <summary>The channels an update names; empty (left out) means every configured channel.</summary>
    internal static List<Channel> ParseChannels(List<string>? channels, FieldErrors errors)
    {
        var resolvedChannels = new List<Channel>();
        if (channels is null)
        {
            return resolvedChannels;
        }
        for (var i = 0; i < channels.Count; i++)
        {
            if (!Wire.TryParse<Channel>(channels[i], out var channel))
            {
                errors.Add($"channels[{i}]", $"'{channels[i]}' {Wire.OneOf<Channel>()}.");
            }
            else if (!resolvedChannels.Contains(channel))
            {
                resolvedChannels.Add(channel);
            }
        }
        if (channels.Count == 0)
        {
            errors.Add("channels", "channels must name at least one channel; leave it out to use every configured channel.");
        }
        return resolvedChannels;
    }

    internal static void ValidateTitle(string? title, FieldErrors errors)
    {
        if (string.IsNullOrWhiteSpace(title))
        {
            errors.Add("title", "title is required.");
        }
        else if (title.Length > MaxTitleLength)
        {
            errors.Add("title", $"title must be at most {MaxTitleLength} characters.");
        }
    }

    internal static void ValidateMessage(string? message, FieldErrors errors)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            errors.Add("message", "message is required.");
        }
        else if (message.Length > MaxMessageLength)
        {
            errors.Add("message", $"message must be at most {MaxMessageLength} characters.");
        }
    }

    /// <summary>Updates go to published incidents only: a draft is published first, a retracted one takes none.</summary>
    internal static void EnsurePublished(Incident incident)
    {
        if (incident.Draft)
        {
            throw new StateConflictException("The incident is a draft.", $"Publish it first (POST /api/incidents/{incident.Id}/publish), or change the draft with PATCH.");
        }
        if (incident.RetractedAt is not null)
        {
            throw new StateConflictException("The incident was retracted.", $"It was retracted at {incident.RetractedAt:O} and takes no more updates.");
        }
    }

    private static readonly IncidentStatus[] IncidentStatuses =
        [IncidentStatus.Investigating, IncidentStatus.Identified, IncidentStatus.Monitoring, IncidentStatus.Resolved, IncidentStatus.Postmortem];

    internal static IncidentStatus ParseIncidentStatus(string? text, IncidentStatus fallback, FieldErrors errors)
    {
        var status = ParseOptional(text, fallback, "status", errors);
        if (text is not null && Wire.TryParse<IncidentStatus>(text, out var parsed) && !IncidentStatuses.Contains(parsed))
        {
            errors.Add("status", $"'{text}' is a maintenance status; an incident's status must be one of: {string.Join(", ", IncidentStatuses.Select(s => s.ToWire()))}.");
        }
        return status;
    }

    internal static TEnum ParseOptional<TEnum>(string? text, TEnum fallback, string field, FieldErrors errors) where TEnum : struct, Enum
    {
        if (text is null)
        {
            return fallback;
        }
        if (Wire.TryParse<TEnum>(text, out var value))
        {
            return value;
        }
        errors.Add(field, $"'{text}' {Wire.OneOf<TEnum>()}.");
        return fallback;
    }
}

/// <summary>An update about to be appended: its status, text, component changes and reach.</summary>
internal sealed record UpdateDraft(
    IncidentStatus Status,
    string Message,
    IReadOnlyList<(Component Component, ComponentStatus Status)> Components,
    IReadOnlyList<Channel> Channels,
    bool Notify,
    bool Public = true,
    Guid? CorrectionOf = null);

/// <summary>A hypothetical update and the incident as it would stand after it.</summary>
public sealed record UpdatePreview(Incident Incident, IncidentUpdate Update, IReadOnlyList<(string Name, Common.ComponentStatus Status)> Components);
