using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Data;

namespace CommsHub.Api.OperatorConsole;

/// <summary>
/// Writes the audit entry the admin API's <see cref="Infrastructure.AdminAudit"/> filter writes for the same change
/// (<c>admin.&lt;method&gt;</c>, the API route it stands for, the id, the answer), so a change made in the console
/// reads in the log like the API call it mirrors; <c>via: console</c> tells the two apart. Every console form
/// that changes something writes one, after the change (or its refusal).
/// </summary>
internal static class ConsoleAudit
{
    /// <param name="method">The API method the action mirrors (POST, PATCH, DELETE).</param>
    /// <param name="route">The API route pattern it mirrors, e.g. <c>/api/components/{id:guid}</c> (or the console's own, for an action the API lacks).</param>
    /// <param name="status">The status the API would have answered (201, 200, 204, 400, 409).</param>
    /// <param name="updateId">The update the route names too (<c>/api/incidents/{id}/updates/{updateId}</c>).</param>
    public static async Task RecordAsync(HttpContext http, string method, string route, Guid? id, int status, string? error = null, string? location = null,
        Guid? updateId = null)
    {
        var routeValues = new JsonObject();
        if (id is { } value)
        {
            routeValues["id"] = value.ToString();
        }
        if (updateId is { } update)
        {
            routeValues["updateId"] = update.ToString();
        }
        var data = new JsonObject
        {
            ["method"] = method,
            ["route"] = route,
            ["routeValues"] = routeValues,
            ["status"] = status,
            ["error"] = error,
            ["location"] = location,
            ["via"] = "console",
        };
        var services = http.RequestServices;
        var db = services.GetRequiredService<CommsHubDbContext>();
        try
        {
            // Its own unit of work, as the API's: the change already committed (or failed) in the service's.
            db.ChangeTracker.Clear();
            AuditLog.Append(db, services.GetRequiredService<TimeProvider>().GetUtcNow(), ConsoleAccess.Actor(http.User), "admin." + method.ToLowerInvariant(), id?.ToString(), data,
                http.Connection.RemoteIpAddress?.ToString());
            await db.SaveChangesAsync(http.RequestAborted);
        }
        catch (Exception ex)
        {
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConsoleAudit)).LogError(ex, "Could not write the audit entry for the console's {Method} {Route}", method, route);
        }
    }
}
