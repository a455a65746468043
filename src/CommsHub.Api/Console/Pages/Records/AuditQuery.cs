using CommsHub.Core.Audit;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Api.OperatorConsole.Pages.Records;

/// <summary>The audit log's filters as GET /api/audit applies them (exact action, actor, subject), for the console page and its export.</summary>
internal static class AuditQuery
{
    public static IQueryable<AuditEntry> Matching(CommsHubDbContext db, string? action, string? actor, string? subject)
    {
        var query = db.AuditEntries.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(action))
        {
            var a = action.Trim();
            query = query.Where(e => e.Action == a);
        }
        if (!string.IsNullOrWhiteSpace(actor))
        {
            var a = actor.Trim();
            query = query.Where(e => e.Actor == a);
        }
        if (!string.IsNullOrWhiteSpace(subject))
        {
            var s = subject.Trim();
            query = query.Where(e => e.Subject == s);
        }
        return query;
    }
}
