using CommsHub.Contracts;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Deliveries;

/// <summary>Notifying updates published before <c>before</c> and still unplanned (<c>planned_at</c> is set once every channel is planned).</summary>
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
        return [.. unplanned.Select(u => new Replan(u.Id,
            new IncidentUpdatePublished { UpdateId = u.Id, IncidentId = u.IncidentId, PublishedAt = u.CreatedAt }, "Update", u.CreatedAt))];
    }
}
