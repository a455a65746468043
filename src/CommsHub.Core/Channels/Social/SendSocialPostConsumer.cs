using CommsHub.Contracts;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Incidents;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Channels.Social;

/// <summary>
/// Posts an update to one social account, as a reply to the incident's previous post there so
/// the incident reads as one thread. A follow-up waits while the post it must reply to is still
/// queued; a failed earlier post is skipped, the thread continues from the last one that exists.
/// </summary>
public sealed class SendSocialPostConsumer(
    CommsHubDbContext db,
    DeliveryLeases leases,
    Accounts accounts,
    UpdateContentLoader contents,
    TimeProvider time) : IConsumer<SendSocialPost>
{
    public async Task Consume(ConsumeContext<SendSocialPost> context)
    {
        var ct = context.CancellationToken;
        var m = context.Message;
        var network = accounts.SocialFor(m.Batch);
        var lease = await leases.ClaimAsync(m.UpdateId, Channel.Social, m.Batch, ct);
        if (lease.Deliveries.Count == 0)
        {
            return;
        }
        var delivery = lease.Deliveries[0];
        var content = await contents.LoadAsync(m.UpdateId, ct);
        if (network is not { IsConfigured: true } || content is null)
        {
            await leases.CompleteAsync(lease, new SendResult(DeliveryStatus.Failed, network?.Name ?? "social",
                Error: content is null ? "The update no longer exists." : "The account is no longer configured."), ct);
            return;
        }

        // Earlier posts of this incident on this account, oldest first.
        var createdAt = await db.IncidentUpdates.Where(u => u.Id == m.UpdateId).Select(u => u.CreatedAt).FirstAsync(ct);
        var earlier = await (
                from d in db.Deliveries.AsNoTracking()
                join u in db.IncidentUpdates.AsNoTracking() on d.UpdateId equals u.Id
                where d.IncidentId == content.IncidentId && d.Channel == Channel.Social && d.SubscriberId == delivery.SubscriberId
                      && d.UpdateId != m.UpdateId && u.CreatedAt <= createdAt
                orderby u.CreatedAt, u.Id
                select new { d.Status, d.ProviderMessageId })
            .ToListAsync(ct);
        if (earlier.Any(e => e.Status == DeliveryStatus.Queued))
        {
            await leases.DeferAsync(lease, time.GetUtcNow() + TimeSpan.FromSeconds(2), ct);
            return;
        }
        var posts = earlier.Where(e => e.Status == DeliveryStatus.Sent).Select(e => SocialPostRef.Parse(e.ProviderMessageId)).OfType<SocialPostRef>().ToList();
        var thread = posts.Count == 0 ? null : new SocialThread(posts[0], posts[^1]);

        var text = network.Render(content, isFollowUp: thread is not null);
        var posted = await network.PostAsync(text, content, thread, delivery.Id.ToString("N"), ct);
        await leases.CompleteAsync(lease, posted.Result, ct);
    }
}
