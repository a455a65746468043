using CommsHub.Api.Infrastructure;
using CommsHub.Core.Auth;
using CommsHub.Core.Common;
using CommsHub.Core.Components;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommsHub.Api.Endpoints;

/// <param name="Position">Place within its group (1 first), the order of the page and of <c>/api/v2/components.json</c>.</param>
public sealed record ComponentResponse(Guid Id, string Name, string? Description, string? Group, ComponentStatus Status, int Position,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ComponentResponse From(PlacedComponent placed)
    {
        var c = placed.Component;
        return new(c.Id, c.Name, c.Description, c.Group, c.Status, placed.Position, c.CreatedAt, c.UpdatedAt);
    }
}

public static class ComponentEndpoints
{
    public static RouteGroupBuilder MapComponentEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/components").WithTags("Components").RequireScopes(reads: Scopes.Read, changes: Scopes.Publish);
        group.MapPost("/", Create);
        group.MapGet("/", List);
        group.MapGet("/{id:guid}", Get);
        group.MapPatch("/{id:guid}", Patch);
        group.MapDelete("/{id:guid}", Delete);
        return group;
    }

    private static async Task<Created<ComponentResponse>> Create(CreateComponentRequest request, ComponentService components, CancellationToken ct)
    {
        var created = await components.CreateAsync(request, ct);
        return TypedResults.Created($"/api/components/{created.Component.Id}", ComponentResponse.From(created));
    }

    /// <summary>In page order: groups where their first member is, each group's members by position.</summary>
    private static async Task<Ok<List<ComponentResponse>>> List(ComponentService components, CancellationToken ct) =>
        TypedResults.Ok((await components.ListAsync(ct)).Select(ComponentResponse.From).ToList());

    private static async Task<Results<Ok<ComponentResponse>, NotFound>> Get(Guid id, ComponentService components, CancellationToken ct) =>
        await components.GetAsync(id, ct) is { } component ? TypedResults.Ok(ComponentResponse.From(component)) : TypedResults.NotFound();

    private static async Task<Results<Ok<ComponentResponse>, NotFound>> Patch(Guid id, PatchComponentRequest request, ComponentService components,
        CancellationToken ct) =>
        await components.PatchAsync(id, request, ct) is { } component ? TypedResults.Ok(ComponentResponse.From(component)) : TypedResults.NotFound();

    private static async Task<Results<NoContent, NotFound>> Delete(Guid id, ComponentService components, CancellationToken ct) =>
        await components.DeleteAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound();
}
