using CommsHub.Contracts;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// Notifying updates published before <c>before</c> and still unplanned (<c>planned_at</c> is set once every channel is
/// planned) whose planner has stopped: one still writing its pages (a large audience takes longer than
/// <c>Deliveries:Redrive:PlanAfter</c>) is left alone, or a second planner would walk every page again and send every
/// batch's command twice. The newest page is read through the (update_id, id) index: one look-up per unplanned update.
/// </summary>
public sealed class UnplannedUpdates(CommsHubDbContext db) : IUnplannedWork
{
    public async Task<IReadOnlyList<Replan>> FindAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var unplanned = await db.IncidentUpdates.AsNoTracking()
            .Where(u => u.PlannedAt == null && u.CreatedAt < before)
            .OrderBy(u => u.CreatedAt)
            .Select(u => new { u.Id, u.IncidentId, u.CreatedAt })
            .Take(100)
            .ToListAsync(cancellationToken);
        var stalled = new List<Replan>();
        foreach (var u in unplanned)
        {
            // Ids are time-ordered (version 7): the highest is the newest page's.
            var newest = await db.Deliveries.AsNoTracking().Where(d => d.UpdateId == u.Id)
                .OrderByDescending(d => d.Id).Select(d => (DateTimeOffset?)d.CreatedAt).FirstOrDefaultAsync(cancellationToken);
            var last = newest > u.CreatedAt ? newest.Value : u.CreatedAt;
            if (last < before)
            {
                stalled.Add(new Replan(u.Id, new IncidentUpdatePublished { UpdateId = u.Id, IncidentId = u.IncidentId, PublishedAt = u.CreatedAt }, "Update", last));
            }
        }
        return stalled;
    }
}
