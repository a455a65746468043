using CommsHub.Api.Infrastructure;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Incidents;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Api.Endpoints;

public sealed record IncidentComponentResponse(Guid Id, ComponentStatus Status);

/// <param name="Public">false for a message that was sent but is not on the public timeline (a maintenance reminder).</param>
public sealed record UpdateResponse(Guid Id, Guid IncidentId, IncidentStatus Status, string Message, DateTimeOffset CreatedAt,
    bool Notify, IReadOnlyList<Channel> Channels, bool Public)
{
    public static UpdateResponse From(IncidentUpdate u) => new(u.Id, u.IncidentId, u.Status, u.Message, u.CreatedAt, u.Notify, u.Channels, u.Public);
}

/// <param name="Request">What will be posted: the update body as it was sent (without publishAt).</param>
public sealed record ScheduledUpdateResponse(Guid Id, Guid IncidentId, DateTimeOffset PublishAt, ScheduledUpdateState State,
    CreateUpdateRequest Request, Guid? UpdateId, string? Error, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ScheduledUpdateResponse From(ScheduledUpdate u) =>
        new(u.Id, u.IncidentId, u.PublishAt, u.State, u.ReadRequest(), u.UpdateId, u.Error, u.CreatedAt, u.UpdatedAt);
}

public sealed record IncidentResponse(Guid Id, string Title, IncidentStatus Status, Impact Impact, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt, DateTimeOffset? ResolvedAt, IReadOnlyList<IncidentComponentResponse> Components, IReadOnlyList<UpdateResponse> Updates)
{
    public static IncidentResponse From(Incident i) => new(i.Id, i.Title, i.Status, i.Impact, i.CreatedAt, i.UpdatedAt, i.ResolvedAt,
        i.Components.Select(c => new IncidentComponentResponse(c.ComponentId, c.Status)).ToList(),
        i.Updates.OrderByDescending(u => u.CreatedAt).ThenByDescending(u => u.Id).Select(UpdateResponse.From).ToList());
}

public static class IncidentEndpoints
{
    public static RouteGroupBuilder MapIncidentEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/incidents").WithTags("Incidents");
        group.MapPost("/", Create);
        group.MapGet("/", List);
        group.MapGet("/{id:guid}", Get);
        group.MapPost("/{id:guid}/updates", AddUpdate);
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
                query = query.Where(i => i.Status != IncidentStatus.Resolved && i.Status != IncidentStatus.Postmortem);
                break;
            case "resolved":
                query = query.Where(i => i.Status == IncidentStatus.Resolved || i.Status == IncidentStatus.Postmortem);
                break;
            default:
                errors.Add("state", $"'{state}' must be one of: open, resolved, all.");
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
