using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Data;

namespace CommsHub.Api.OperatorConsole.Pages.Compose;

/// <summary>
/// A compose action written to the audit log as the admin API's call would be (AdminAudit's entry:
/// <c>admin.post</c>/<c>admin.patch</c>, the API route it stands for, its ids, the answer), marked as
/// made in the console. Bodies are not recorded, as there.
/// </summary>
internal static class ComposeAudit
{
    public static async Task RecordAsync(CommsHubDbContext db, TimeProvider time, HttpContext http, string method, string route,
        Guid? id, Guid? updateId, int status, string? error, string? location, ILogger logger)
    {
        var ids = new JsonObject();
        if (id is not null)
        {
            ids["id"] = id.ToString();
        }
        if (updateId is not null)
        {
            ids["updateId"] = updateId.ToString();
        }
        var data = new JsonObject
        {
            ["method"] = method, ["route"] = route, ["routeValues"] = ids, ["status"] = status, ["error"] = error,
            ["location"] = location, ["via"] = "console",
        };
        try
        {
            // Its own unit of work, as AdminAudit's: the change already committed (or failed).
            db.ChangeTracker.Clear();
            AuditLog.Append(db, time.GetUtcNow(), ConsoleAccess.Actor(http.User), "admin." + method.ToLowerInvariant(), id?.ToString(), data,
                http.Connection.RemoteIpAddress?.ToString());
            await db.SaveChangesAsync(http.RequestAborted);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not write the audit entry for the console's {Method} {Route}", method, route);
        }
    }
}
