using System.Globalization;
using CommsHub.Api.Infrastructure;
using CommsHub.Core.Auth;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommsHub.Api.Endpoints;

public sealed record ReportResponse(
    Guid UpdateId,
    int Audience,
    IReadOnlyDictionary<string, Dictionary<string, int>> Channels,
    DateTimeOffset PublishedAt,
    DateTimeOffset? FirstSentAt,
    DateTimeOffset? LastSentAt,
    double? SecondsFromFirstToLastSend,
    double? SecondsFromPublishToLastSend);

/// <summary>
/// One delivery, with the same fields as in the list (<c>attempts</c> is the counter, as the
/// contract has it), plus <c>attemptLog</c>: one record per try, and <c>rendered</c>: the text a
/// sandboxed delivery would have sent (null for any other).
/// </summary>
public sealed record DeliveryDetailResponse(
    Guid Id, Guid UpdateId, Guid IncidentId, Guid SubscriberId, Channel Channel, string Recipient, DeliveryStatus Status,
    string? Provider, string? ProviderMessageId, int Attempts, string? LastError,
    DateTimeOffset CreatedAt, DateTimeOffset? SentAt, DateTimeOffset? DeliveredAt,
    IReadOnlyList<DeliveryAttemptView> AttemptLog, string? Rendered, DeliveryKind Kind)
{
    public static DeliveryDetailResponse From(DeliveryDetail detail)
    {
        var d = detail.Delivery;
        return new(d.Id, d.UpdateId, d.IncidentId, d.SubscriberId, d.Channel, d.Recipient, d.Status, d.Provider, d.ProviderMessageId,
            d.Attempts, d.LastError, d.CreatedAt, d.SentAt, d.DeliveredAt, detail.Attempts, detail.Rendered, d.Kind);
    }
}

/// <summary>The filters the list and the export share, as the query string spells them.</summary>
public sealed record DeliveryFilterQuery(string? UpdateId, string? IncidentId, string? Channel, string? Status, string? Recipient,
    string? From, string? To, string? Kind = null);

public static class DeliveryEndpoints
{
    // ISO 8601 as clients write it: a date, or a date-time to the minute, second or fraction, with
    // Z, an offset or nothing (then UTC). Exact formats, so "1/2/2026" is an error, not a guess.
    private static readonly string[] InstantFormats =
        ["yyyy-MM-dd", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];

    public static IEndpointRouteBuilder MapDeliveryEndpoints(this IEndpointRouteBuilder app)
    {
        // Deliveries name their recipients; a report only counts them.
        var deliveries = app.MapGroup("/api/deliveries").WithTags("Deliveries").RequireScope(Scopes.Subscribers);
        deliveries.MapGet("/", List);
        deliveries.MapGet("/export.csv", Export);
        deliveries.MapGet("/{id:guid}", Get);
        app.MapGroup("/api/updates").WithTags("Deliveries").RequireScope(Scopes.Read).MapGet("/{id:guid}/report", Report);
        return app;
    }

    private static async Task<Ok<PageResponse<DeliveryView>>> List([AsParameters] DeliveryFilterQuery query, string? cursor, int? limit,
        DeliveryQueries deliveries, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var filter = Parse(query, errors) with
        {
            Cursor = Query.Id(cursor, "cursor", errors),
            Limit = Query.Limit(limit, DeliveryQueries.MaxLimit, errors),
        };
        errors.ThrowIfAny();
        var page = await deliveries.ListAsync(filter, ct);
        return TypedResults.Ok(new PageResponse<DeliveryView>(page.Items, page.NextCursor));
    }

    /// <summary>
    /// <c>GET /api/deliveries/export.csv</c>: every matching delivery as CSV, streamed. The filters are checked before the first byte, so a
    /// bad one is still a 400 problem; an error once rows are flowing can only cut the download short
    /// (the client sees an incomplete chunked body, never a CSV that looks complete).
    /// </summary>
    private static PushStreamHttpResult Export([AsParameters] DeliveryFilterQuery query, DeliveryQueries deliveries, TimeProvider time,
        HttpContext http, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var filter = Parse(query, errors);
        errors.ThrowIfAny();
        // Set here rather than through fileDownloadName, which leaves the name unquoted and adds filename*.
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{DeliveryExport.FileName(time.GetUtcNow())}\"";
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Stream(body => DeliveryExport.WriteAsync(deliveries.PagesAsync(filter, cancellationToken: ct), body, ct),
            DeliveryExport.ContentType);
    }

    private static async Task<Results<Ok<DeliveryDetailResponse>, NotFound>> Get(Guid id, DeliveryQueries deliveries, CancellationToken ct)
    {
        var detail = await deliveries.GetAsync(id, ct);
        return detail is null ? TypedResults.NotFound() : TypedResults.Ok(DeliveryDetailResponse.From(detail));
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
        var sincePublish = report.LastSentAt is { } lastSent ? (lastSent - report.PublishedAt).TotalSeconds : (double?)null;
        return TypedResults.Ok(new ReportResponse(report.UpdateId, report.Audience, channels, report.PublishedAt,
            report.FirstSentAt, report.LastSentAt, span, sincePublish));
    }

    /// <summary>The list's and the export's filters, as the console's delivery pages read them too.</summary>
    internal static DeliveryFilter Parse(DeliveryFilterQuery query, FieldErrors errors)
    {
        var filter = new DeliveryFilter(
            Query.Id(query.UpdateId, "updateId", errors),
            Query.Id(query.IncidentId, "incidentId", errors),
            Query.Enum<Channel>(query.Channel, "channel", errors),
            Query.Enum<DeliveryStatus>(query.Status, "status", errors),
            query.Recipient,
            From: Instant(query.From, "from", errors),
            To: Instant(query.To, "to", errors),
            Kind: Query.Enum<DeliveryKind>(query.Kind, "kind", errors));
        if (filter.From >= filter.To)
        {
            errors.Add("to", "to must be later than from (from is inclusive, to exclusive).");
        }
        return filter;
    }

    private static DateTimeOffset? Instant(string? text, string field, FieldErrors errors)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        // An unencoded '+' in a query string arrives as a space ("…T10:00:00 02:00"); ISO 8601 has no spaces.
        var candidate = text.Trim().Replace(' ', '+');
        if (DateTimeOffset.TryParseExact(candidate, InstantFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            return value;
        }
        errors.Add(field, $"'{text}' is not an ISO 8601 date or date-time, e.g. 2026-05-01 or 2026-05-01T12:00:00Z.");
        return null;
    }
}
