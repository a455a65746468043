using System.Text.Json.Nodes;
using CommsHub.Core.Incidents;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommsHub.Api.Endpoints;

/// <summary>
/// What an update, or a new incident's first message, would send on every medium it would reach,
/// rendered by the same code that sends: with lengths, segments, encodings and anything cut to fit.
/// Validated as the real call would be; nothing is sent or stored.
/// </summary>
public static class PreviewEndpoints
{
    public static RouteGroupBuilder MapPreviewEndpoints(this RouteGroupBuilder incidents)
    {
        incidents.MapPost("/preview", PreviewNew);
        incidents.MapPost("/{id:guid}/updates/preview", Preview);
        return incidents;
    }

    private static async Task<Ok<JsonObject>> PreviewNew(CreateIncidentRequest request, IncidentService incidents,
        [AsParameters] UpdatePreviewRenderer renderer, CancellationToken ct)
    {
        var preview = await incidents.PreviewNewAsync(request, ct);
        // The first message starts the incident's social thread: a first post, with the title.
        return TypedResults.Ok(await renderer.RenderAsync(preview, isFollowUp: false, ct));
    }

    private static async Task<Results<Ok<JsonObject>, NotFound>> Preview(Guid id, CreateUpdateRequest request, IncidentService incidents,
        [AsParameters] UpdatePreviewRenderer renderer, CancellationToken ct)
    {
        var preview = await incidents.PreviewAsync(id, request, ct);
        if (preview is null)
        {
            return TypedResults.NotFound();
        }
        return TypedResults.Ok(await renderer.RenderAsync(preview, isFollowUp: preview.Incident.Updates.Count > 1, ct));
    }
}
