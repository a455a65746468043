using CommsHub.Api.Infrastructure;
using CommsHub.Core.Auth;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Incidents;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Api.Endpoints;

public sealed record IncidentComponentResponse(Guid Id, ComponentStatus Status);

/// <param name="Public">false for a message that was sent but is not on the public timeline (a maintenance reminder).</param>
/// <param name="EditedAt">When the message was last corrected.</param>
/// <param name="CorrectionOf">A correction sent to subscribers: the update it corrects.</param>
public sealed record UpdateResponse(Guid Id, Guid IncidentId, IncidentStatus Status, string Message, DateTimeOffset CreatedAt,
    bool Notify, IReadOnlyList<Channel> Channels, bool Public, DateTimeOffset? EditedAt, Guid? CorrectionOf)
{
    public static UpdateResponse From(IncidentUpdate u) =>
        new(u.Id, u.IncidentId, u.Status, u.Message, u.CreatedAt, u.Notify, u.Channels, u.Public, u.EditedAt, u.CorrectionOf);
}

/// <param name="Request">What will be posted: the update body as it was sent (without publishAt).</param>
public sealed record ScheduledUpdateResponse(Guid Id, Guid IncidentId, DateTimeOffset PublishAt, ScheduledUpdateState State,
    CreateUpdateRequest Request, Guid? UpdateId, string? Error, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ScheduledUpdateResponse From(ScheduledUpdate u) =>
        new(u.Id, u.IncidentId, u.PublishAt, u.State, u.ReadRequest(), u.UpdateId, u.Error, u.CreatedAt, u.UpdatedAt);
}

/// <param name="Html">The Markdown rendered and sanitised, as the status page shows it.</param>
/// <param name="NotifiedAt">When subscribers were last sent it (null: never).</param>
public sealed record PostmortemResponse(string Body, string Html, DateTimeOffset PublishedAt, DateTimeOffset UpdatedAt, DateTimeOffset? NotifiedAt)
{
    public static PostmortemResponse? From(Incident i) => i.PostmortemBody is { } body
        ? new(body, PostmortemMarkdown.ToHtml(body), i.PostmortemPublishedAt!.Value, i.PostmortemUpdatedAt ?? i.PostmortemPublishedAt!.Value, i.PostmortemNotifiedAt)
        : null;
}

/// <param name="Draft">Not published: on no public surface, nothing sent; <see cref="DraftUpdate"/> is its first update as written.</param>
/// <param name="RetractedAt">Withdrawn as published in error: on no public surface any more.</param>
/// <param name="EditedAt">When the title or impact was last corrected.</param>
/// <param name="Postmortem">Null until one is published (PUT /api/incidents/{id}/postmortem).</param>
public sealed record IncidentResponse(Guid Id, string Title, IncidentStatus Status, Impact Impact, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt, DateTimeOffset? ResolvedAt, IReadOnlyList<IncidentComponentResponse> Components, IReadOnlyList<UpdateResponse> Updates,
    bool Draft, CreateIncidentRequest? DraftUpdate, DateTimeOffset? RetractedAt, DateTimeOffset? EditedAt, PostmortemResponse? Postmortem)
{
    public static IncidentResponse From(Incident i) => new(i.Id, i.Title, i.Status, i.Impact, i.CreatedAt, i.UpdatedAt, i.ResolvedAt,
        i.Components.Select(c => new IncidentComponentResponse(c.ComponentId, c.Status)).ToList(),
        i.Updates.OrderByDescending(u => u.CreatedAt).ThenByDescending(u => u.Id).Select(UpdateResponse.From).ToList(),
        i.Draft, i.Draft ? IncidentDrafts.Read(i) : null, i.RetractedAt, i.EditedAt, PostmortemResponse.From(i));
}

public static class IncidentEndpoints
{
    public static RouteGroupBuilder MapIncidentEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/incidents").WithTags("Incidents").RequireScopes(reads: Scopes.Read, changes: Scopes.Publish);
        group.MapPost("/", Create);
        group.MapGet("/", List);
        group.MapGet("/{id:guid}", Get);
        group.MapPatch("/{id:guid}", Patch);
        group.MapDelete("/{id:guid}", Retract);
        group.MapPost("/{id:guid}/publish", Publish);
        group.MapPost("/{id:guid}/updates", AddUpdate);
        group.MapPut("/{id:guid}/postmortem", PublishPostmortem);
        group.MapPatch("/{id:guid}/updates/{updateId:guid}", CorrectUpdate);
        group.MapGet("/{id:guid}/scheduled-updates", ListScheduled);
        group.MapGet("/{id:guid}/scheduled-updates/{updateId:guid}", GetScheduled);
        group.MapPatch("/{id:guid}/scheduled-updates/{updateId:guid}", ChangeScheduled);
        group.MapDelete("/{id:guid}/scheduled-updates/{updateId:guid}", WithdrawScheduled);
        group.MapPreviewEndpoints();
        return group;
    }

    private static async Task<Created<IncidentResponse>> Create(CreateIncidentRequest request, IncidentService incidents, CancellationToken ct)
    {
        var incident = await incidents.CreateAsync(request, ct);
        return TypedResults.Created($"/api/incidents/{incident.Id}", IncidentResponse.From(incident));
    }

    /// <summary>Publishes a draft: its first update is sent then.</summary>
    private static async Task<Results<Ok<IncidentResponse>, NotFound>> Publish(Guid id, IncidentService incidents, CancellationToken ct) =>
        await incidents.PublishDraftAsync(id, ct) is { } published ? TypedResults.Ok(IncidentResponse.From(published)) : TypedResults.NotFound();

    /// <summary>Corrects a title or impact (marked as edited on the public surfaces); on a draft, changes anything.</summary>
    private static async Task<Results<Ok<IncidentResponse>, NotFound>> Patch(Guid id, PatchIncidentRequest request, IncidentCorrections corrections,
        HttpContext http, CancellationToken ct) =>
        await corrections.PatchAsync(id, request, AdminAudit.Actor(http), ct) is { } patched ? TypedResults.Ok(IncidentResponse.From(patched)) : TypedResults.NotFound();

    /// <summary>Corrects an update's text; with <c>notify: true</c> its audience gets the corrected text as a correction.</summary>
    private static async Task<Results<Ok<UpdateResponse>, NotFound>> CorrectUpdate(Guid id, Guid updateId, CorrectUpdateRequest request,
        IncidentCorrections corrections, HttpContext http, CancellationToken ct) =>
        await corrections.CorrectUpdateAsync(id, updateId, request, AdminAudit.Actor(http), ct) is { } corrected
            ? TypedResults.Ok(UpdateResponse.From(corrected))
            : TypedResults.NotFound();

    /// <summary>
    /// Publishes the postmortem (Markdown), or replaces it; with <c>notify: true</c> subscribers get a short
    /// message linking to it, once per text. A draft, a retracted incident or a maintenance is a 409.
    /// </summary>
    private static async Task<Results<Ok<IncidentResponse>, NotFound>> PublishPostmortem(Guid id, PostmortemRequest request, Postmortems postmortems,
        HttpContext http, CancellationToken ct) =>
        await postmortems.PublishAsync(id, request, AdminAudit.Actor(http), ct) is { } incident ? TypedResults.Ok(IncidentResponse.From(incident)) : TypedResults.NotFound();

    /// <summary>Retracts an incident published in error (a draft is discarded).</summary>
    private static async Task<Results<NoContent, NotFound>> Retract(Guid id, IncidentCorrections corrections, HttpContext http, CancellationToken ct) =>
        await corrections.RetractAsync(id, AdminAudit.Actor(http), ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    /// <summary>Posts an update now, or with <c>publishAt</c> stores it and answers 202: it is published at that time.</summary>
    private static async Task<Results<Created<UpdateResponse>, Accepted<ScheduledUpdateResponse>, NotFound>> AddUpdate(Guid id, CreateUpdateRequest request,
        IncidentService incidents, IServiceProvider services, CancellationToken ct)
    {
        if (request.PublishAt is not null)
        {
            var scheduled = await services.GetRequiredService<ScheduledUpdates>().ScheduleAsync(id, request, ct);
            return scheduled is null
                ? TypedResults.NotFound()
                : TypedResults.Accepted($"/api/incidents/{id}/scheduled-updates/{scheduled.Id}", ScheduledUpdateResponse.From(scheduled));
        }
        var update = await incidents.AddUpdateAsync(id, request, ct);
        return update is null
            ? TypedResults.NotFound()
            : TypedResults.Created($"/api/incidents/{id}/updates/{update.Id}", UpdateResponse.From(update));
    }

    private static async Task<Results<Ok<List<ScheduledUpdateResponse>>, NotFound>> ListScheduled(Guid id, CommsHubDbContext db,
        ScheduledUpdates scheduled, CancellationToken ct)
    {
        if (!await db.Incidents.AnyAsync(i => i.Id == id && i.Kind == IncidentKind.Incident, ct))
        {
            return TypedResults.NotFound();
        }
        return TypedResults.Ok((await scheduled.ListAsync(id, ct)).Select(ScheduledUpdateResponse.From).ToList());
    }

    private static async Task<Results<Ok<ScheduledUpdateResponse>, NotFound>> GetScheduled(Guid id, Guid updateId, ScheduledUpdates scheduled, CancellationToken ct) =>
        await scheduled.GetAsync(id, updateId, ct) is { } found ? TypedResults.Ok(ScheduledUpdateResponse.From(found)) : TypedResults.NotFound();

    /// <summary>Changes a scheduled update: any field of the update body, and <c>publishAt</c> to move it.</summary>
    private static async Task<Results<Ok<ScheduledUpdateResponse>, NotFound>> ChangeScheduled(Guid id, Guid updateId, CreateUpdateRequest change,
        ScheduledUpdates scheduled, CancellationToken ct) =>
        await scheduled.ChangeAsync(id, updateId, change, ct) is { } changed ? TypedResults.Ok(ScheduledUpdateResponse.From(changed)) : TypedResults.NotFound();

    private static async Task<Results<NoContent, NotFound>> WithdrawScheduled(Guid id, Guid updateId, ScheduledUpdates scheduled, CancellationToken ct) =>
        await scheduled.WithdrawAsync(id, updateId, ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    private static async Task<Ok<List<IncidentResponse>>> List(string? state, CommsHubDbContext db, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var query = Incidents(db);
        switch (state?.ToLowerInvariant())
        {
            case null or "" or "all":
                break;
            case "open":
                query = query.Where(Incident.IsPublic).Where(i => i.Status != IncidentStatus.Resolved && i.Status != IncidentStatus.Postmortem);
                break;
            case "resolved":
                query = query.Where(Incident.IsPublic).Where(i => i.Status == IncidentStatus.Resolved || i.Status == IncidentStatus.Postmortem);
                break;
            case "draft":
                query = query.Where(i => i.Draft);
                break;
            case "retracted":
                query = query.Where(i => i.RetractedAt != null);
                break;
            default:
                errors.Add("state", $"'{state}' must be one of: open, resolved, draft, retracted, all.");
                break;
        }
        errors.ThrowIfAny();
        var incidents = await query.OrderByDescending(i => i.CreatedAt).ThenByDescending(i => i.Id).ToListAsync(ct);
        return TypedResults.Ok(incidents.Select(IncidentResponse.From).ToList());
    }

    private static async Task<Results<Ok<IncidentResponse>, NotFound>> Get(Guid id, CommsHubDbContext db, CancellationToken ct)
    {
        var incident = await Incidents(db).FirstOrDefaultAsync(i => i.Id == id, ct);
        return incident is null ? TypedResults.NotFound() : TypedResults.Ok(IncidentResponse.From(incident));
    }

    /// <summary>Incidents only: maintenances have their own resource, /api/maintenances.</summary>
    private static IQueryable<Incident> Incidents(CommsHubDbContext db) =>
        db.Incidents.AsNoTracking().Where(i => i.Kind == IncidentKind.Incident).Include(i => i.Components).Include(i => i.Updates).AsSplitQuery();
}
