using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Subscribers;

/// <summary>Where a webhook subscriber's events go and the secret they are signed with.</summary>
public sealed record WebhookEndpoint(Guid SubscriberId, string Url, string Secret);

/// <summary>The webhook endpoints of a batch's subscribers, for the sender: it never reads subscribers itself.</summary>
public sealed class WebhookEndpoints(CommsHubDbContext db, SubscriberSecrets secrets)
{
    /// <summary>By subscriber id; an erased subscriber, or one without a signing secret, is missing.</summary>
    public async Task<IReadOnlyDictionary<Guid, WebhookEndpoint>> ForAsync(IReadOnlyCollection<Guid> subscriberIds, CancellationToken cancellationToken)
    {
        var subscribers = await db.Subscribers.AsNoTracking().Where(s => subscriberIds.Contains(s.Id)).ToListAsync(cancellationToken);
        return subscribers
            .Select(s => secrets.Reveal(s) is { } secret ? new WebhookEndpoint(s.Id, s.Address, secret) : null)
            .OfType<WebhookEndpoint>()
            .ToDictionary(e => e.SubscriberId);
    }
}
