using System.Text.Json.Serialization;
using CommsHub.Api.Infrastructure;
using CommsHub.Core.Auth;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Subscribers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Api.Endpoints;

public sealed record SubscriberResponse(Guid Id, Channel Channel, string Address, IReadOnlyList<Guid> Components, SubscriberStatus Status,
    DateTimeOffset CreatedAt, DateTimeOffset? ConfirmedAt, DateTimeOffset? UnsubscribedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret = null)
{
    public static SubscriberResponse From(Subscriber s, string? secret = null) => new(s.Id, s.Channel, s.Address,
        s.Components.Select(c => c.ComponentId).ToList(), s.Status, s.CreatedAt, s.ConfirmedAt, s.UnsubscribedAt, secret);
}

public sealed record PageResponse<T>(IReadOnlyList<T> Items, string? NextCursor);

public static class SubscriberEndpoints
{
    public static RouteGroupBuilder MapSubscriberEndpoints(this IEndpointRouteBuilder app)
    {
        // Reading subscribers is reading personal data: the same scope as changing them.
        var group = app.MapGroup("/api/subscribers").WithTags("Subscribers").RequireScope(Scopes.Subscribers);
        group.MapPost("/", Create);
        group.MapGet("/", List);
        group.MapGet("/{id:guid}", Get);
        group.MapDelete("/{id:guid}", Erase);
        group.MapPost("/{id:guid}/rotate-secret", RotateSecret);
        group.MapPost("/import", Import).Accepts<string>("text/csv"); // POST /api/subscribers/import
        return group;
    }

    private static async Task<Created<SubscriberResponse>> Create(CreateSubscriberRequest request, SubscriberService subscribers, CancellationToken ct)
    {
        var (subscriber, secret) = await subscribers.CreateAsync(request, ct);
        return TypedResults.Created($"/api/subscribers/{subscriber.Id}", SubscriberResponse.From(subscriber, secret));
    }

    private static async Task<Ok<PageResponse<SubscriberResponse>>> List(string? channel, string? status, string? cursor, int? limit,
        SubscriberService subscribers, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var filter = new SubscriberFilter(
            Query.Enum<Channel>(channel, "channel", errors),
            Query.Enum<SubscriberStatus>(status, "status", errors),
            Query.Id(cursor, "cursor", errors),
            Query.Limit(limit, 1000, errors));
        errors.ThrowIfAny();
        var page = await subscribers.ListAsync(filter, ct);
        return TypedResults.Ok(new PageResponse<SubscriberResponse>(page.Items.Select(s => SubscriberResponse.From(s)).ToList(), page.NextCursor));
    }

    private static async Task<Results<Ok<SubscriberResponse>, NotFound>> Get(Guid id, CommsHubDbContext db, CancellationToken ct)
    {
        var subscriber = await db.Subscribers.AsNoTracking().Include(s => s.Components).FirstOrDefaultAsync(s => s.Id == id, ct);
        return subscriber is null ? TypedResults.NotFound() : TypedResults.Ok(SubscriberResponse.From(subscriber));
    }

    /// <summary>Erasure: 204, personal data gone; the delivery record keeps a keyed hash.</summary>
    private static async Task<Results<NoContent, NotFound>> Erase(Guid id, SubscriberService subscribers, CancellationToken ct) =>
        await subscribers.EraseAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    /// <summary>A webhook subscriber's new signing secret, shown once (409 for other channels: they have none).</summary>
    private static async Task<Results<Ok<SubscriberResponse>, NotFound>> RotateSecret(Guid id, SubscriberService subscribers, CancellationToken ct) =>
        await subscribers.RotateSecretAsync(id, ct) is { } rotated
            ? TypedResults.Ok(SubscriberResponse.From(rotated.Subscriber, rotated.Secret))
            : TypedResults.NotFound();

    private static async Task<Results<Ok<ImportResult>, ProblemHttpResult>> Import(HttpRequest request, SubscriberImport import, CancellationToken ct)
    {
        var mediaType = request.ContentType is { } ct0 && Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(ct0, out var parsed)
            ? parsed.MediaType.Value : null;
        if (!string.Equals(mediaType, "text/csv", StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type.",
                detail: "Send the subscribers as text/csv with a header row: email, phone, webhookUrl, components.");
        }
        return TypedResults.Ok(await import.ImportAsync(request.Body, ct));
    }
}
