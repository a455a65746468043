using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Data;

namespace CommsHub.Api.OperatorConsole.Pages.Records;

/// <summary>
/// Writes a console action to the audit log in the shape the admin API's audit filter gives the
/// call it stands for (same action, route and subject), so a log reader sees one kind of entry
/// whether an operator clicked or scripted; <c>via</c> tells them apart.
/// </summary>
internal static class RecordAudit
{
    public static async Task RecordAsync(CommsHubDbContext db, TimeProvider time, HttpContext http, string method, string route, string? id, int status)
    {
        var data = new JsonObject
        {
            ["method"] = method,
            ["route"] = route,
            ["routeValues"] = id is null ? new JsonObject() : new JsonObject { ["id"] = id },
            ["status"] = status,
            ["error"] = null,
            ["location"] = null,
            ["via"] = "console",
        };
        // Its own unit of work: the change already committed in the service's.
        db.ChangeTracker.Clear();
        AuditLog.Append(db, time.GetUtcNow(), ConsoleAccess.Actor(http.User), "admin." + method.ToLowerInvariant(), id, data,
            http.Connection.RemoteIpAddress?.ToString());
        await db.SaveChangesAsync(http.RequestAborted);
    }
}
