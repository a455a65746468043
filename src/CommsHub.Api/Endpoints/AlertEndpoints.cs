using System.Globalization;
using System.Text.Json.Nodes;
using CommsHub.Api.Infrastructure;
using CommsHub.Core.Auth;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Messaging;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Api.Endpoints;

/// <summary>
/// One alert: <c>action</c> is <c>bus.message_faulted</c> (a message is in an error queue), <c>delivery.abandoned</c> (a batch
/// was given up), <c>status_page.resource_failed</c> (a public resource cannot be built) or <c>status_page.resource_recovered</c>.
/// </summary>
public sealed record AlertResponse(long Id, DateTimeOffset At, string Action, string? Subject, JsonNode? Data);

public static class AlertEndpoints
{
    public const int MaxLimit = 500;

    public static IEndpointRouteBuilder MapAlertEndpoints(this IEndpointRouteBuilder app)
    {
        // Operational health, no subscriber data: whoever watches the service (a viewer, a monitoring key) sees it.
        app.MapGroup("/api/alerts").WithTags("Alerts").RequireScope(Scopes.Read).MapGet("/", List);
        return app;
    }

    /// <summary>
    /// <c>GET /api/alerts?since=&amp;cursor=&amp;limit=</c>: what operators must look at, newest first, from the
    /// audit log: messages that ended in an error queue, deliveries given up because of one, and public status-page
    /// resources that cannot be built (and their recovery).
    /// </summary>
    private static async Task<Ok<PageResponse<AlertResponse>>> List(DateTimeOffset? since, string? cursor, int? limit, CommsHubDbContext db, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var take = Query.Limit(limit, MaxLimit, errors);
        long? before = null;
        if (cursor is not null)
        {
            if (long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var c))
            {
                before = c;
            }
            else
            {
                errors.Add("cursor", "cursor must be the nextCursor of a previous page.");
            }
        }
        errors.ThrowIfAny();
        var query = db.AuditEntries.AsNoTracking().Where(e => PoisonAlerts.Actions.Contains(e.Action));
        if (since is { } s)
        {
            query = query.Where(e => e.At >= s);
        }
        if (before is { } b)
        {
            query = query.Where(e => e.Id < b);
        }
        var rows = await query.OrderByDescending(e => e.Id).Take(take + 1).ToListAsync(ct);
        var more = rows.Count > take;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        var items = rows.Select(e => new AlertResponse(e.Id, e.At, e.Action, e.Subject, JsonNode.Parse(e.Data))).ToList();
        return TypedResults.Ok(new PageResponse<AlertResponse>(items, more ? rows[^1].Id.ToString(CultureInfo.InvariantCulture) : null));
    }
}
