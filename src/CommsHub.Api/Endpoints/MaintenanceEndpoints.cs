using System.Xml;
using CommsHub.Api.Infrastructure;
using CommsHub.Core.Auth;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Incidents;
using CommsHub.Core.Maintenances;
using CommsHub.Core.Scheduling;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Api.Endpoints;

/// <summary>One scheduled step of a maintenance, as the operator can watch it.</summary>
public sealed record ScheduledStepResponse(ScheduledActionKind Kind, DateTimeOffset DueAt, string? Lead, DateTimeOffset? FiredAt,
    DateTimeOffset? CancelledAt, string? Outcome);

public sealed record MaintenanceResponse(
    Guid Id, string Title, IncidentStatus Status, string Impact, DateTimeOffset ScheduledFor, DateTimeOffset ScheduledUntil,
    IReadOnlyList<string> Reminders, bool AutoTransition, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? CompletedAt,
    DateTimeOffset? CancelledAt, IReadOnlyList<IncidentComponentResponse> Components, IReadOnlyList<UpdateResponse> Updates,
    IReadOnlyList<ScheduledStepResponse> Schedule)
{
    public static MaintenanceResponse From(Incident m, IEnumerable<ScheduledAction> schedule) => new(
        m.Id, m.Title, m.Status, "maintenance", m.ScheduledFor!.Value, m.ScheduledUntil!.Value,
        m.Reminders.Order().Reverse().Select(XmlConvert.ToString).ToList(), m.AutoTransition, m.CreatedAt, m.UpdatedAt, m.ResolvedAt, m.CancelledAt,
        m.Components.Select(c => new IncidentComponentResponse(c.ComponentId, c.Status)).ToList(),
        m.Updates.OrderByDescending(u => u.CreatedAt).ThenByDescending(u => u.Id).Select(UpdateResponse.From).ToList(),
        schedule.OrderBy(a => a.DueAt).ThenBy(a => a.Kind)
            .Select(a => new ScheduledStepResponse(a.Kind, a.DueAt, a.Lead is { } l ? XmlConvert.ToString(l) : null, a.FiredAt, a.CancelledAt, a.Outcome)).ToList());
}

public static class MaintenanceEndpoints
{
    public static RouteGroupBuilder MapMaintenanceEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/maintenances").WithTags("Maintenances").RequireScopes(reads: Scopes.Read, changes: Scopes.Publish);
        group.MapPost("/", Create);
        group.MapGet("/", List);
        group.MapGet("/{id:guid}", Get);
        group.MapPatch("/{id:guid}", Change);
        group.MapPost("/{id:guid}/updates", AddUpdate);
        group.MapPost("/{id:guid}/cancel", Cancel);
        return group;
    }

    private static async Task<Created<MaintenanceResponse>> Create(CreateMaintenanceRequest request, MaintenanceService maintenances,
        CommsHubDbContext db, CancellationToken ct)
    {
        var maintenance = await maintenances.CreateAsync(request, ct);
        return TypedResults.Created($"/api/maintenances/{maintenance.Id}", await ResponseAsync(db, maintenance.Id, ct));
    }

    /// <summary><c>state</c>: upcoming (scheduled), active (in progress or verifying), completed, or all (the default).</summary>
    private static async Task<Ok<List<MaintenanceResponse>>> List(string? state, CommsHubDbContext db, CancellationToken ct)
    {
        var query = Maintenances(db);
        switch (state?.ToLowerInvariant())
        {
            case null or "" or "all":
                break;
            case "upcoming":
                query = query.Where(m => m.Status == IncidentStatus.Scheduled);
                break;
            case "active":
                query = query.Where(m => m.Status == IncidentStatus.InProgress || m.Status == IncidentStatus.Verifying);
                break;
            case "completed":
                query = query.Where(m => m.Status == IncidentStatus.Completed);
                break;
            default:
                new FieldErrors().Add("state", $"'{state}' must be one of: upcoming, active, completed, all.").ThrowIfAny();
                break;
        }
        var items = await query.OrderByDescending(m => m.ScheduledFor).ThenByDescending(m => m.Id).ToListAsync(ct);
        var ids = items.Select(m => m.Id).ToList();
        var schedule = (await db.ScheduledActions.AsNoTracking().Where(a => ids.Contains(a.TargetId)).ToListAsync(ct)).ToLookup(a => a.TargetId);
        return TypedResults.Ok(items.Select(m => MaintenanceResponse.From(m, schedule[m.Id])).ToList());
    }

    private static async Task<Results<Ok<MaintenanceResponse>, NotFound>> Get(Guid id, CommsHubDbContext db, CancellationToken ct) =>
        await ResponseAsync(db, id, ct) is { } found ? TypedResults.Ok(found) : TypedResults.NotFound();

    /// <summary>Reschedule, retitle, re-scope: the jobs move with the window; subscribers hear of a moved window.</summary>
    private static async Task<Results<Ok<MaintenanceResponse>, NotFound>> Change(Guid id, ChangeMaintenanceRequest request,
        MaintenanceService maintenances, CommsHubDbContext db, CancellationToken ct)
    {
        if (await maintenances.ChangeAsync(id, request, ct) is null)
        {
            return TypedResults.NotFound();
        }
        return TypedResults.Ok((await ResponseAsync(db, id, ct))!);
    }

    private static async Task<Results<Created<UpdateResponse>, NotFound>> AddUpdate(Guid id, MaintenanceUpdateRequest request,
        MaintenanceService maintenances, CancellationToken ct) =>
        await maintenances.AddUpdateAsync(id, request, ct) is { } update
            ? TypedResults.Created($"/api/maintenances/{id}/updates/{update.Id}", UpdateResponse.From(update))
            : TypedResults.NotFound();

    private static async Task<Results<Ok<MaintenanceResponse>, NotFound>> Cancel(Guid id, MaintenanceService maintenances, CommsHubDbContext db,
        CancellationToken ct, CancelMaintenanceRequest? request = null)
    {
        if (await maintenances.CancelAsync(id, request ?? new CancelMaintenanceRequest(), ct) is null)
        {
            return TypedResults.NotFound();
        }
        return TypedResults.Ok((await ResponseAsync(db, id, ct))!);
    }

    private static async Task<MaintenanceResponse?> ResponseAsync(CommsHubDbContext db, Guid id, CancellationToken ct)
    {
        var maintenance = await Maintenances(db).FirstOrDefaultAsync(m => m.Id == id, ct);
        if (maintenance is null)
        {
            return null;
        }
        var schedule = await db.ScheduledActions.AsNoTracking().Where(a => a.TargetId == id).ToListAsync(ct);
        return MaintenanceResponse.From(maintenance, schedule);
    }

    private static IQueryable<Incident> Maintenances(CommsHubDbContext db) =>
        db.Incidents.AsNoTracking().Where(i => i.Kind == IncidentKind.Maintenance).Include(i => i.Components).Include(i => i.Updates).AsSplitQuery();
}
