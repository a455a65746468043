using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Data;

namespace CommsHub.Api.OperatorConsole.Incidents;

/// <summary>
/// A console form that changes something is written to the audit log as the admin API's calls are
/// (<see cref="Infrastructure.AdminAudit"/>): action <c>admin.post</c>, the incident as subject, the
/// form's route and the answer, the operator as actor, the client's address as source.
/// </summary>
internal static class ConsoleFormAudit
{
    public static async Task RecordAsync(CommsHubDbContext db, TimeProvider time, HttpContext http, string route, Guid subject, int status)
    {
        db.ChangeTracker.Clear();
        AuditLog.Append(db, time.GetUtcNow(), ConsoleAccess.Actor(http.User), "admin.post", subject.ToString(), new JsonObject
        {
            ["method"] = "POST",
            ["route"] = route,
            ["routeValues"] = new JsonObject { ["id"] = subject.ToString() },
            ["status"] = status,
            ["via"] = "console",
        }, http.Connection.RemoteIpAddress?.ToString());
        await db.SaveChangesAsync(CancellationToken.None);
    }
}
