using CommsHub.Core.Common;
using CommsHub.Core.Components;
using CommsHub.Contracts;
using CommsHub.Core.Data;
using CommsHub.Core.Messaging;
using CommsHub.Core.StatusPage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Api.Endpoints;

public sealed record CreateComponentRequest(string? Name, string? Description = null, string? Group = null, string? Status = null);

public sealed record PatchComponentRequest(string? Name = null, string? Description = null, string? Group = null, string? Status = null);

public sealed record ComponentResponse(Guid Id, string Name, string? Description, string? Group, ComponentStatus Status, int Position,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ComponentResponse From(Component c) => new(c.Id, c.Name, c.Description, c.Group, c.Status, c.Position, c.CreatedAt, c.UpdatedAt);
}

public static class ComponentEndpoints
{
    public static RouteGroupBuilder MapComponentEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/components").WithTags("Components");
        group.MapPost("/", Create);
        group.MapGet("/", List);
        group.MapGet("/{id:guid}", Get);
        group.MapPatch("/{id:guid}", Patch);
        return group;
    }

    private static async Task<Created<ComponentResponse>> Create(CreateComponentRequest request, CommsHubDbContext db, StatusChangeSignal changed,
        TimeProvider time, CancellationToken ct)
    {
        var errors = new FieldErrors();
        ValidateName(request.Name, required: true, errors);
        ValidateText(request.Description, "description", 2000, errors);
        ValidateText(request.Group, "group", 200, errors);
        var status = ParseStatus(request.Status, errors) ?? ComponentStatus.Operational;
        errors.ThrowIfAny();

        var now = time.GetUtcNow();
        var position = await db.Components.Select(c => (int?)c.Position).MaxAsync(ct) ?? 0;
        var component = new Component
        {
            Name = request.Name!.Trim(),
            Description = Blank(request.Description),
            Group = Blank(request.Group),
            Status = status,
            Position = position + 1,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Components.Add(component);
        ComponentStatusHistory.Record(db, component.Id, component.Status, now);
        Outbox.Enqueue(db, new StatusPageChanged { ChangedAt = now }, now);
        await db.SaveChangesAsync(ct);
        changed.Notify();
        return TypedResults.Created($"/api/components/{component.Id}", ComponentResponse.From(component));
    }

    private static async Task<Ok<List<ComponentResponse>>> List(CommsHubDbContext db, CancellationToken ct)
    {
        var components = await db.Components.AsNoTracking().OrderBy(c => c.Position).ThenBy(c => c.Name).ToListAsync(ct);
        return TypedResults.Ok(components.Select(ComponentResponse.From).ToList());
    }

    private static async Task<Results<Ok<ComponentResponse>, NotFound>> Get(Guid id, CommsHubDbContext db, CancellationToken ct)
    {
        var component = await db.Components.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, ct);
        return component is null ? TypedResults.NotFound() : TypedResults.Ok(ComponentResponse.From(component));
    }

    private static async Task<Results<Ok<ComponentResponse>, NotFound>> Patch(Guid id, PatchComponentRequest request, CommsHubDbContext db,
        StatusChangeSignal changed, TimeProvider time, CancellationToken ct)
    {
        var component = await db.Components.FirstOrDefaultAsync(c => c.Id == id, ct);
        if (component is null)
        {
            return TypedResults.NotFound();
        }
        var errors = new FieldErrors();
        if (request.Name is not null)
        {
            ValidateName(request.Name, required: true, errors);
        }
        ValidateText(request.Description, "description", 2000, errors);
        ValidateText(request.Group, "group", 200, errors);
        var status = ParseStatus(request.Status, errors);
        errors.ThrowIfAny();

        if (request.Name is not null)
        {
            component.Name = request.Name.Trim();
        }
        if (request.Description is not null)
        {
            component.Description = Blank(request.Description);
        }
        if (request.Group is not null)
        {
            component.Group = Blank(request.Group);
        }
        var now = time.GetUtcNow();
        if (status is { } s && s != component.Status)
        {
            component.Status = s;
            ComponentStatusHistory.Record(db, component.Id, s, now);
        }
        component.UpdatedAt = now;
        Outbox.Enqueue(db, new StatusPageChanged { ChangedAt = now }, now);
        await db.SaveChangesAsync(ct);
        changed.Notify();
        return TypedResults.Ok(ComponentResponse.From(component));
    }

    private static void ValidateName(string? name, bool required, FieldErrors errors)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            if (required)
            {
                errors.Add("name", "name is required.");
            }
        }
        else if (name.Length > 200)
        {
            errors.Add("name", "name must be at most 200 characters.");
        }
    }

    private static void ValidateText(string? value, string field, int max, FieldErrors errors)
    {
        if (value is not null && value.Length > max)
        {
            errors.Add(field, $"{field} must be at most {max} characters.");
        }
    }

    private static ComponentStatus? ParseStatus(string? text, FieldErrors errors)
    {
        if (text is null)
        {
            return null;
        }
        if (Wire.TryParse<ComponentStatus>(text, out var status))
        {
            return status;
        }
        errors.Add("status", $"'{text}' {Wire.OneOf<ComponentStatus>()}.");
        return null;
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
