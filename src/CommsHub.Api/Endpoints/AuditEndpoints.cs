using CommsHub.Api.Infrastructure;
using CommsHub.Core.Audit;
using CommsHub.Core.Auth;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Api.Endpoints;

public sealed record AuditEntryResponse(long Id, long? Seq, DateTimeOffset At, string Actor, string Action, string? Subject, string? Source,
    System.Text.Json.Nodes.JsonNode? Data, string? Hash);

public static class AuditEndpoints
{
    public const int MaxLimit = 1000;

    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/audit").WithTags("Audit").RequireScope(Scopes.Admin);
        group.MapGet("/verify", Verify);
        group.MapGet("/", List);
        return app;
    }

    /// <summary><c>GET /api/audit/verify</c>: chains what was appended so far, then recomputes the whole chain: <c>{valid, records, firstBrokenRecord}</c>.</summary>
    private static async Task<Ok<AuditVerification>> Verify(AuditChain chain, CancellationToken ct)
    {
        await chain.ChainPendingAsync(ct, wait: true);
        return TypedResults.Ok(await chain.VerifyAsync(ct));
    }

    /// <summary>The log, oldest first by insertion, with keyset paging; filter by action, subject or actor.</summary>
    private static async Task<Ok<PageResponse<AuditEntryResponse>>> List(string? action, string? subject, string? actor, string? cursor, int? limit,
        CommsHubDbContext db, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var take = Query.Limit(limit, MaxLimit, errors);
        long? after = null;
        if (cursor is not null)
        {
            if (long.TryParse(cursor, out var c) && c >= 0)
            {
                after = c;
            }
            else
            {
                errors.Add("cursor", "cursor must be the nextCursor of a previous page.");
            }
        }
        errors.ThrowIfAny();
        var query = db.AuditEntries.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(action))
        {
            query = query.Where(e => e.Action == action);
        }
        if (!string.IsNullOrWhiteSpace(subject))
        {
            query = query.Where(e => e.Subject == subject);
        }
        if (!string.IsNullOrWhiteSpace(actor))
        {
            query = query.Where(e => e.Actor == actor);
        }
        if (after is { } a)
        {
            query = query.Where(e => e.Id > a);
        }
        var rows = await query.OrderBy(e => e.Id).Take(take + 1).ToListAsync(ct);
        var more = rows.Count > take;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        var items = rows.Select(e => new AuditEntryResponse(e.Id, e.Seq, e.At, e.Actor, e.Action, e.Subject, e.Source,
            System.Text.Json.Nodes.JsonNode.Parse(e.Data), e.Hash)).ToList();
        return TypedResults.Ok(new PageResponse<AuditEntryResponse>(items, more ? rows[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : null));
    }
}
