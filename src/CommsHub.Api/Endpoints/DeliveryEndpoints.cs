using CommsHub.Api.Infrastructure;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommsHub.Api.Endpoints;

public sealed record ReportResponse(
    Guid UpdateId,
    int Audience,
    IReadOnlyDictionary<string, Dictionary<string, int>> Channels,
    DateTimeOffset? FirstSentAt,
    DateTimeOffset? LastSentAt,
    double? SecondsFromFirstToLastSend);

public static class DeliveryEndpoints
{
    public static IEndpointRouteBuilder MapDeliveryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/deliveries").WithTags("Deliveries").MapGet("/", List);
        app.MapGroup("/api/updates").WithTags("Deliveries").MapGet("/{id:guid}/report", Report);
        return app;
    }

    private static async Task<Ok<PageResponse<DeliveryView>>> List(string? updateId, string? incidentId, string? channel, string? status,
        string? recipient, string? cursor, int? limit, DeliveryQueries deliveries, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var filter = new DeliveryFilter(
            Query.Id(updateId, "updateId", errors),
            Query.Id(incidentId, "incidentId", errors),
            Query.Enum<Channel>(channel, "channel", errors),
            Query.Enum<DeliveryStatus>(status, "status", errors),
            recipient,
            Query.Id(cursor, "cursor", errors),
            Query.Limit(limit, DeliveryQueries.MaxLimit, errors));
        errors.ThrowIfAny();
        var page = await deliveries.ListAsync(filter, ct);
        return TypedResults.Ok(new PageResponse<DeliveryView>(page.Items, page.NextCursor));
    }

    private static async Task<Results<Ok<ReportResponse>, NotFound>> Report(Guid id, DeliveryQueries deliveries, CancellationToken ct)
    {
        var report = await deliveries.ReportAsync(id, ct);
        if (report is null)
        {
            return TypedResults.NotFound();
        }
        var channels = report.Channels.ToDictionary(
            c => c.Key.ToWire(),
            c => c.Value.ToDictionary(s => s.Key.ToWire(), s => s.Value));
        var span = report.FirstSentAt is { } first && report.LastSentAt is { } last ? (last - first).TotalSeconds : (double?)null;
        return TypedResults.Ok(new ReportResponse(report.UpdateId, report.Audience, channels, report.FirstSentAt, report.LastSentAt, span));
    }
}
