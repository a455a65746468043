using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Deliveries;

/// <summary>Reads a batch's earlier deliveries only when an adapter asks (social threads): other channels pay no query.</summary>
internal sealed class DeliveryHistory(CommsHubDbContext db, Guid updateId, Guid incidentId, Channel channel) : IDeliveryHistory
{
    public async Task<IReadOnlyList<EarlierDelivery>> EarlierAsync(Guid subscriberId, CancellationToken cancellationToken)
    {
        var createdAt = await db.IncidentUpdates.Where(u => u.Id == updateId).Select(u => u.CreatedAt).FirstAsync(cancellationToken);
        return await (
                from d in db.Deliveries.AsNoTracking()
                join u in db.IncidentUpdates.AsNoTracking() on d.UpdateId equals u.Id
                where d.IncidentId == incidentId && d.Channel == channel && d.SubscriberId == subscriberId
                      && d.UpdateId != updateId && u.CreatedAt <= createdAt
                orderby u.CreatedAt, u.Id
                select new EarlierDelivery(d.Status, d.ProviderMessageId))
            .ToListAsync(cancellationToken);
    }
}
