using CommsHub.Api.Infrastructure;
using CommsHub.Core.Auth;
using CommsHub.Core.Campaigns;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Api.Endpoints;

/// <summary>Audiences, code pools and campaigns: reaching affected customers once, each with a code of their own.</summary>
public static class CampaignEndpoints
{
    public static void MapCampaignEndpoints(this IEndpointRouteBuilder app)
    {
        var audiences = app.MapGroup("/api/audiences").WithTags("Campaigns").RequireScope(Scopes.Campaigns);
        audiences.MapPost("/", ImportAudience).Accepts<string>("text/csv");
        var pools = app.MapGroup("/api/code-pools").WithTags("Campaigns").RequireScope(Scopes.Campaigns);
        pools.MapPost("/", ImportPool).Accepts<string>("text/csv");
        var campaigns = app.MapGroup("/api/campaigns").WithTags("Campaigns").RequireScope(Scopes.Campaigns);
        campaigns.MapPost("/", Create);
        campaigns.MapGet("/{id:guid}", Get);
        campaigns.MapPost("/{id:guid}/preview", Preview);
        campaigns.MapPost("/{id:guid}/send", Send);
        campaigns.MapPost("/{id:guid}/cancel", Cancel);
        campaigns.MapGet("/{id:guid}/report", Report);
        campaigns.MapPost("/{id:guid}/redemptions", Redeem);
    }

    /// <summary>The one-click way out of campaigns that every campaign email links to (RFC 8058: mailbox providers POST).</summary>
    public static void MapCampaignUnsubscribe(this IEndpointRouteBuilder app)
    {
        app.MapPost("/campaigns/unsubscribe", async (string? token, CampaignOptOuts optOuts, CancellationToken ct) =>
            await optOuts.OptOutAsync(token, ct)
                ? Results.Content("You will receive no more of these messages.", "text/plain")
                : Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "This link is not valid."))
            .DisableAntiforgery().WithTags("Public");
        app.MapGet("/campaigns/unsubscribe", (string? token) => Results.Content($"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Unsubscribe</title></head><body>
            <form method="post" action="/campaigns/unsubscribe?token={Uri.EscapeDataString(token ?? "")}">
            <p>Stop receiving these messages?</p><button type="submit">Unsubscribe</button></form></body></html>
            """, "text/html")).WithTags("Public");
    }

    /// <summary>
    /// The largest CSV an import takes. Kestrel's default (30 MB) would refuse a million-customer list (about 60 MB);
    /// the file is read as it arrives, so its size grows neither memory nor a buffer, only the time.
    /// </summary>
    public const long MaxImportBytes = 1L << 30;

    private static void AllowLargeBody(HttpRequest request)
    {
        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxImportBytes;
        }
    }

    private static bool IsCsv(HttpRequest request) =>
        request.ContentType is { } value && Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(value, out var parsed)
        && string.Equals(parsed.MediaType.Value, "text/csv", StringComparison.OrdinalIgnoreCase);

    private static async Task<Results<Created<AudienceResult>, ProblemHttpResult>> ImportAudience(HttpRequest request, AudienceImport import, CancellationToken ct)
    {
        if (!IsCsv(request))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type.",
                detail: "Send the audience as text/csv with a header row: externalId, email, phone, name, locale.");
        }
        AllowLargeBody(request);
        var result = await import.ImportAsync(request.Body, ct);
        return TypedResults.Created($"/api/audiences/{result.Id}", result);
    }

    private static async Task<Results<Created<CodePoolResult>, ProblemHttpResult>> ImportPool(HttpRequest request, CodePoolImport import, CancellationToken ct)
    {
        if (!IsCsv(request))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type.",
                detail: "Send the codes as text/csv with the header row code, one code a line.");
        }
        AllowLargeBody(request);
        var result = await import.ImportAsync(request.Body, ct);
        return TypedResults.Created($"/api/code-pools/{result.Id}", result);
    }

    private static async Task<Created<CampaignResponse>> Create(CreateCampaignRequest request, CampaignService campaigns, CommsHubDbContext db, CancellationToken ct)
    {
        var campaign = await campaigns.CreateAsync(request, ct);
        return TypedResults.Created($"/api/campaigns/{campaign.Id}", await ResponseAsync(campaign, db, ct));
    }

    private static async Task<Results<Ok<CampaignResponse>, NotFound>> Get(Guid id, CommsHubDbContext db, CancellationToken ct) =>
        await db.Campaigns.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, ct) is { } campaign
            ? TypedResults.Ok(await ResponseAsync(campaign, db, ct))
            : TypedResults.NotFound();

    private static async Task<Results<Ok<CampaignPreview>, NotFound>> Preview(Guid id, CommsHubDbContext db, CampaignMessages messages, CancellationToken ct) =>
        await db.Campaigns.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, ct) is { } campaign
            ? TypedResults.Ok(await messages.PreviewAsync(campaign, ct))
            : TypedResults.NotFound();

    private static async Task<Results<Accepted<CampaignResponse>, NotFound>> Send(Guid id, CampaignService campaigns, CommsHubDbContext db, CancellationToken ct) =>
        await campaigns.SendAsync(id, ct) is { } campaign
            ? TypedResults.Accepted($"/api/campaigns/{id}/report", await ResponseAsync(campaign, db, ct))
            : TypedResults.NotFound();

    private static async Task<Results<Ok<CampaignResponse>, NotFound>> Cancel(Guid id, CampaignService campaigns, CommsHubDbContext db, CancellationToken ct) =>
        await campaigns.CancelAsync(id, ct) is { } campaign ? TypedResults.Ok(await ResponseAsync(campaign, db, ct)) : TypedResults.NotFound();

    private static async Task<Results<Ok<CampaignReport>, NotFound>> Report(Guid id, CampaignService campaigns, CancellationToken ct) =>
        await campaigns.ReportAsync(id, ct) is { } report ? TypedResults.Ok(report) : TypedResults.NotFound();

    private static async Task<Results<Ok<Redemption>, Conflict<ProblemDetailsLike>, NotFound<ProblemDetailsLike>, ValidationProblem>> Redeem(
        Guid id, RedeemRequest request, CampaignService campaigns, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Code) || request.Code.Length > CodePoolImport.MaxCodeLength)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["code"] = ["is required (at most 100 characters)."] });
        }
        var (outcome, redemption) = await campaigns.RedeemAsync(id, request.Code.Trim(), ct);
        return outcome switch
        {
            CampaignService.RedeemOutcome.Redeemed => TypedResults.Ok(redemption),
            CampaignService.RedeemOutcome.AlreadyRedeemed => TypedResults.Conflict(new ProblemDetailsLike(StatusCodes.Status409Conflict,
                "The code was already redeemed.", $"Redeemed at {redemption!.RedeemedAt:O}.")),
            _ => TypedResults.NotFound(new ProblemDetailsLike(StatusCodes.Status404NotFound, "Unknown code.", "This campaign never sent that code.")),
        };
    }

    private static async Task<CampaignResponse> ResponseAsync(Campaign c, CommsHubDbContext db, CancellationToken ct)
    {
        var count = await db.Audiences.Where(a => a.Id == c.AudienceId).Select(a => a.Count).FirstOrDefaultAsync(ct);
        return new CampaignResponse(c.Id, c.Kind.ToWire(), c.Status.ToWire(), c.Title, c.Message, c.IncidentId, [.. c.Channels.Select(ch => ch.ToWire())],
            c.AudienceId, count, c.CodePoolId, c.SendAt, c.CreatedAt, c.SentAt, c.CancelledAt);
    }
}

/// <summary>An RFC 9457 body for the answers that are not exceptions.</summary>
public sealed record ProblemDetailsLike(int Status, string Title, string Detail);
