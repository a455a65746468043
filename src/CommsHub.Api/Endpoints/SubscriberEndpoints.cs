using CommsHub.Api.Infrastructure;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Subscribers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Api.Endpoints;

public sealed record SubscriberResponse(Guid Id, Channel Channel, string Address, IReadOnlyList<Guid> Components, SubscriberStatus Status,
    DateTimeOffset CreatedAt, DateTimeOffset? ConfirmedAt)
{
    public static SubscriberResponse From(Subscriber s) => new(s.Id, s.Channel, s.Address,
        s.Components.Select(c => c.ComponentId).ToList(), s.Status, s.CreatedAt, s.ConfirmedAt);
}

public sealed record PageResponse<T>(IReadOnlyList<T> Items, string? NextCursor);

public static class SubscriberEndpoints
{
    public static RouteGroupBuilder MapSubscriberEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/subscribers").WithTags("Subscribers");
        group.MapPost("/", Create);
        group.MapGet("/", List);
        group.MapGet("/{id:guid}", Get);
        return group;
    }

    private static async Task<Created<SubscriberResponse>> Create(CreateSubscriberRequest request, SubscriberService subscribers, CancellationToken ct)
    {
        var subscriber = await subscribers.CreateAsync(request, ct);
        return TypedResults.Created($"/api/subscribers/{subscriber.Id}", SubscriberResponse.From(subscriber));
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
        return TypedResults.Ok(new PageResponse<SubscriberResponse>(page.Items.Select(SubscriberResponse.From).ToList(), page.NextCursor));
    }

    private static async Task<Results<Ok<SubscriberResponse>, NotFound>> Get(Guid id, CommsHubDbContext db, CancellationToken ct)
    {
        var subscriber = await db.Subscribers.AsNoTracking().Include(s => s.Components).FirstOrDefaultAsync(s => s.Id == id, ct);
        return subscriber is null ? TypedResults.NotFound() : TypedResults.Ok(SubscriberResponse.From(subscriber));
    }
}
