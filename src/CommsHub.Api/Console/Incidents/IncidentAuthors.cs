using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Data;
using CommsHub.Core.Incidents;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Api.OperatorConsole.Incidents;

/// <summary>Who did what to one incident, as the audit log tells it (an update records no author of its own).</summary>
/// <param name="PublishedBy">Per update: the actor of the call that made it; the scheduler for a scheduled update, with who scheduled it.</param>
/// <param name="CorrectedBy">Per update: who last corrected its text.</param>
public sealed record Authorship(IReadOnlyDictionary<Guid, string> PublishedBy, IReadOnlyDictionary<Guid, string> CorrectedBy, string? RetractedBy);

/// <summary>
/// Reads the incident's audit entries: the admin calls on it (subject: the incident, with the update's
/// id in the answer's location), the corrections (subject: the update), the retraction, and the call
/// that created it (no subject: found by the incident's id in its location).
/// </summary>
public sealed class IncidentAuthors(CommsHubDbContext db)
{
    public async Task<Authorship> ForAsync(Incident incident, IReadOnlyList<ScheduledUpdate> scheduled, CancellationToken cancellationToken)
    {
        var id = incident.Id.ToString();
        var subjects = incident.Updates.Select(u => u.Id.ToString()).Append(id).ToList();
        var entries = await db.AuditEntries.AsNoTracking().Where(e => e.Subject != null && subjects.Contains(e.Subject))
            .OrderBy(e => e.Id).ToListAsync(cancellationToken);
        var onIncident = entries.Where(e => e.Subject == id && e.Action.StartsWith("admin.", StringComparison.Ordinal) && Succeeded(e)).ToList();

        var published = new Dictionary<Guid, string>();
        foreach (var update in incident.Updates)
        {
            var key = update.Id.ToString();
            if (onIncident.LastOrDefault(e => e.Data.Contains(key, StringComparison.OrdinalIgnoreCase)) is { } call)
            {
                published[update.Id] = call.Actor;
            }
            else if (scheduled.FirstOrDefault(s => s.UpdateId == update.Id) is { } planned)
            {
                var by = onIncident.LastOrDefault(e => e.Data.Contains(planned.Id.ToString(), StringComparison.OrdinalIgnoreCase))?.Actor;
                published[update.Id] = by is null ? "scheduler" : $"scheduler (scheduled by {by})";
            }
        }
        // The first update came with the incident: published from a draft, or created with it.
        if (incident.Updates.Where(u => u.Public).MinBy(u => (u.CreatedAt, u.Id)) is { } first && !published.ContainsKey(first.Id))
        {
            var publishedDraft = onIncident.LastOrDefault(e => Route(e)?.EndsWith("/publish", StringComparison.Ordinal) == true);
            var creator = publishedDraft?.Actor ?? (await db.AuditEntries.AsNoTracking()
                .Where(e => e.Action == "admin.post" && e.Subject == null && e.Data.Contains(id))
                .OrderBy(e => e.Id).Select(e => e.Actor).FirstOrDefaultAsync(cancellationToken));
            if (creator is not null)
            {
                published[first.Id] = creator;
            }
        }
        var corrected = entries.Where(e => e.Action == "incident.update_corrected" && Guid.TryParse(e.Subject, out _))
            .GroupBy(e => Guid.Parse(e.Subject!)).ToDictionary(g => g.Key, g => g.Last().Actor);
        var retracted = entries.LastOrDefault(e => e.Subject == id && e.Action == "incident.retracted")?.Actor;
        return new Authorship(published, corrected, retracted);
    }

    private static string? Route(AuditEntry e) => Parse(e)?["route"]?.GetValue<string>();

    /// <summary>An admin call that was refused or failed made nothing.</summary>
    private static bool Succeeded(AuditEntry e) => Parse(e)?["status"]?.GetValue<int>() is null or (>= 200 and < 300);

    private static JsonNode? Parse(AuditEntry e)
    {
        try
        {
            return JsonNode.Parse(e.Data);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
