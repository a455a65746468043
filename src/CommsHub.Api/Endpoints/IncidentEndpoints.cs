using CommsHub.Api.Infrastructure;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Incidents;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Api.Endpoints;

public sealed record IncidentComponentResponse(Guid Id, ComponentStatus Status);

public sealed record UpdateResponse(Guid Id, Guid IncidentId, IncidentStatus Status, string Message, DateTimeOffset CreatedAt,
    bool Notify, IReadOnlyList<Channel> Channels)
{
    public static UpdateResponse From(IncidentUpdate u) => new(u.Id, u.IncidentId, u.Status, u.Message, u.CreatedAt, u.Notify, u.Channels);
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
        group.MapPreviewEndpoints();
        return group;
    }

    private static async Task<Created<IncidentResponse>> Create(CreateIncidentRequest request, IncidentService incidents, CancellationToken ct)
    {
        var incident = await incidents.CreateAsync(request, ct);
        return TypedResults.Created($"/api/incidents/{incident.Id}", IncidentResponse.From(incident));
    }

    private static async Task<Results<Created<UpdateResponse>, NotFound>> AddUpdate(Guid id, CreateUpdateRequest request,
        IncidentService incidents, CancellationToken ct)
    {
        var update = await incidents.AddUpdateAsync(id, request, ct);
        return update is null
            ? TypedResults.NotFound()
            : TypedResults.Created($"/api/incidents/{id}/updates/{update.Id}", UpdateResponse.From(update));
    }

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

    private static IQueryable<Incident> Incidents(CommsHubDbContext db) =>
        db.Incidents.AsNoTracking().Include(i => i.Components).Include(i => i.Updates).AsSplitQuery();
}
