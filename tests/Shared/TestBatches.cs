using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Testing;

/// <summary>
/// For tests that put settled deliveries back in the queue by hand (to stage a crash): the product only ever queues a
/// delivery in an open batch (<see cref="OpenBatch"/>), so the batches they are in are opened again as planned at <paramref name="createdAt"/>.
/// </summary>
public static class TestBatches
{
    public static async Task<int> ReopenAsync(this CommsHubDbContext db, Guid updateId, DateTimeOffset createdAt)
    {
        var batches = await db.Deliveries.Where(d => d.UpdateId == updateId && d.Status == DeliveryStatus.Queued)
            .Select(d => new { d.Channel, d.Batch }).Distinct().ToListAsync();
        await db.OpenBatches.Where(b => b.UpdateId == updateId).ExecuteDeleteAsync();
        db.OpenBatches.AddRange(batches.Select(b => new OpenBatch { UpdateId = updateId, Channel = b.Channel, Batch = b.Batch, CreatedAt = createdAt }));
        return await db.SaveChangesAsync();
    }
}
