using CommsHub.Core.Channels;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Incidents;

/// <summary>
/// Loads what an update says. Every batch of a fan-out renders the same update, so the content
/// is cached briefly: one query per update per process, not per batch.
/// </summary>
public sealed class UpdateContentLoader(CommsHubDbContext db, IMemoryCache cache, IOptions<CommsHubOptions> options, Maintenances.MaintenanceTexts texts)
{
    /// <summary>
    /// An update's content, built once per process however many of its batches ask at once (<see cref="SharedLoads"/>);
    /// the shared build does not take one caller's cancellation.
    /// </summary>
    public Task<UpdateContent?> LoadAsync(Guid updateId, CancellationToken cancellationToken) =>
        cache.GetOrLoadAsync(("update-content", updateId), TimeSpan.FromMinutes(5), () => BuildAsync(updateId, CancellationToken.None));

    private async Task<UpdateContent?> BuildAsync(Guid updateId, CancellationToken cancellationToken)
    {
        var update = await db.IncidentUpdates.AsNoTracking().FirstOrDefaultAsync(u => u.Id == updateId, cancellationToken);
        if (update is null)
        {
            return null;
        }
        var incident = await db.Incidents.AsNoTracking().FirstAsync(i => i.Id == update.IncidentId, cancellationToken);
        var components = await (
                from ic in db.Set<IncidentComponent>().AsNoTracking()
                // A component deleted since is still named in what was said about it then.
                join c in db.Components.IgnoreQueryFilters().AsNoTracking() on ic.ComponentId equals c.Id
                where ic.IncidentId == incident.Id
                orderby c.Position, c.Name
                select new { c.Name, ic.Status })
            .ToListAsync(cancellationToken);

        var o = options.Value;
        var message = update.CorrectionOf is null ? update.Message : "Correction: " + update.Message;
        if (incident.Kind == Common.IncidentKind.Maintenance && update.Status == Common.IncidentStatus.Scheduled
            && texts.Window(incident) is var window && !message.Contains(window, StringComparison.Ordinal))
        {
            // Every medium says when: the window goes with each message about a maintenance still to come.
            message += $"\n\nScheduled {window}.";
        }
        var content = new UpdateContent(
            o.PageName,
            o.Link("/"),
            incident.Id,
            incident.Title,
            o.Link($"/incidents/{incident.Id}"),
            update.Status,
            incident.Impact,
            message,
            update.CreatedAt,
            components.Select(c => (c.Name, c.Status)).ToList());
        return content;
    }
}
