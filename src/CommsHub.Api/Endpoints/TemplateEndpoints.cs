using CommsHub.Api.Infrastructure;
using CommsHub.Core.Auth;
using CommsHub.Core.Common;
using CommsHub.Core.Incidents;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommsHub.Api.Endpoints;

public sealed record TemplateResponse(Guid Id, string Name, string Title, string Message, IncidentStatus? Status, Impact? Impact,
    IReadOnlyList<IncidentComponentResponse> Components, DateTimeOffset CreatedAt)
{
    public static TemplateResponse From(IncidentTemplate t) => new(t.Id, t.Name, t.Title, t.Message, t.Status, t.Impact,
        t.Components.Select(c => new IncidentComponentResponse(c.Id, c.Status)).ToList(), t.CreatedAt);
}

/// <summary>Incident templates; <c>POST /api/incidents</c> with <c>templateId</c> starts from one.</summary>
public static class TemplateEndpoints
{
    public static RouteGroupBuilder MapTemplateEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/templates").WithTags("Templates").RequireScopes(reads: Scopes.Read, changes: Scopes.Publish);
        group.MapPost("/", Create);
        group.MapGet("/", List);
        group.MapGet("/{id:guid}", Get);
        group.MapDelete("/{id:guid}", Delete);
        return group;
    }

    private static async Task<Created<TemplateResponse>> Create(CreateTemplateRequest request, IncidentTemplates templates, CancellationToken ct)
    {
        var template = await templates.CreateAsync(request, ct);
        return TypedResults.Created($"/api/templates/{template.Id}", TemplateResponse.From(template));
    }

    /// <summary>By name.</summary>
    private static async Task<Ok<List<TemplateResponse>>> List(IncidentTemplates templates, CancellationToken ct) =>
        TypedResults.Ok((await templates.ListAsync(ct)).Select(TemplateResponse.From).ToList());

    private static async Task<Results<Ok<TemplateResponse>, NotFound>> Get(Guid id, IncidentTemplates templates, CancellationToken ct) =>
        await templates.GetAsync(id, ct) is { } template ? TypedResults.Ok(TemplateResponse.From(template)) : TypedResults.NotFound();

    private static async Task<Results<NoContent, NotFound>> Delete(Guid id, IncidentTemplates templates, CancellationToken ct) =>
        await templates.DeleteAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound();
}
