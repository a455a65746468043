using System.Text.Json.Nodes;
using CommsHub.Core.Data;

namespace CommsHub.Core.Audit;

/// <summary>Appends audit entries to the caller's unit of work: they commit, or not, with the change they record.</summary>
public static class AuditLog
{
    public const string System = "system";

    public static AuditEntry Append(CommsHubDbContext db, DateTimeOffset at, string actor, string action, string? subject, JsonObject data,
        string? source = null)
    {
        var entry = new AuditEntry
        {
            At = at, Actor = actor, Action = action, Subject = subject, Source = source, Data = CanonicalJson.Write(data),
        };
        db.AuditEntries.Add(entry);
        return entry;
    }
}
