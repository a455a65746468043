using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Incidents;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Api.OperatorConsole.Pages.Compose;

internal enum ComposeMode { NewIncident, Draft, Update, Correction }

/// <summary>
/// What the compose form writes: a new incident, a draft's first update, a new update to a published
/// incident, or the corrected text of one of its updates. Read untracked, for the form and its preview.
/// </summary>
/// <param name="Missing">Set when the incident or update named does not exist (or takes no correction).</param>
internal sealed record ComposeTarget(ComposeMode Mode, Incident? Incident, IncidentUpdate? Update, string? Missing)
{
    public static async Task<ComposeTarget> LoadAsync(CommsHubDbContext db, Guid? incidentId, Guid? correctId, CancellationToken ct)
    {
        if (incidentId is not { } id)
        {
            return new(ComposeMode.NewIncident, null, null, null);
        }
        var incident = await db.Incidents.AsNoTracking().Include(i => i.Components).Include(i => i.Updates)
            .AsSplitQuery().FirstOrDefaultAsync(i => i.Id == id && i.Kind == IncidentKind.Incident, ct);
        if (incident is null)
        {
            return new(ComposeMode.NewIncident, null, null, "No incident has this id: it may have been discarded as a draft.");
        }
        if (correctId is { } updateId)
        {
            // The same updates the API corrects: public ones that are not themselves a sent correction.
            var update = incident.Updates.FirstOrDefault(u => u.Id == updateId && u.Public && u.CorrectionOf is null);
            return update is null
                ? new(ComposeMode.Correction, incident, null, "This incident has no update with this id that can be corrected.")
                : new(ComposeMode.Correction, incident, update, null);
        }
        return new(incident.Draft ? ComposeMode.Draft : ComposeMode.Update, incident, null, null);
    }

    /// <summary>Public updates of the incident, the one being written included: its place in the social thread.</summary>
    public int ThreadPosition => Mode switch
    {
        ComposeMode.Update => Incident!.Updates.Count(u => u.Public && u.CorrectionOf is null) + 1,
        _ => 1,
    };
}
