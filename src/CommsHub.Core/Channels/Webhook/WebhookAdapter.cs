using CommsHub.Core.Channels.Email;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Hosting;
using CommsHub.Core.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Channels.Webhook;

/// <summary>
/// Webhooks: one signed POST per recipient, 16 at a time per batch, with the delivery id as the
/// Standard Webhooks message id (the same on every retry, so receivers can deduplicate). Each target
/// origin has its own circuit: a dead endpoint holds only its own posts. A 410 ends the subscription.
/// </summary>
public sealed class WebhookAdapter(
    CommsHubDbContext db,
    WebhookPoster poster,
    SubscriberSecrets secrets,
    UnsubscribeLinks unsubscribe,
    IOptions<CommsHubOptions> hub,
    IMemoryCache cache,
    TimeProvider time) : ISendAdapter
{
    private const int Gone = 410;

    public Channel Channel => Channel.Webhook;
    public int RecipientsPerRequest => 1;
    public int Parallelism => 16;
    public bool CircuitPerTarget => true;

    public async Task<PreparedBatch> PrepareAsync(SendBatch batch, CancellationToken cancellationToken)
    {
        // Every batch of an update posts the same body: it is built once per update per process
        // (a handful of queries), not once per batch of 100.
        var body = await cache.GetOrCreateAsync(("webhook-body", batch.UpdateId), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1);
            return await StatuspageWebhookBody.BuildAsync(db, batch.UpdateId, hub.Value.PublicBaseUrl,
                hub.Value.Link($"/incidents/{batch.Content.IncidentId}"), time.GetUtcNow(), cancellationToken);
        });
        if (body is null)
        {
            return PreparedBatch.Failed(WebhookPoster.Provider, "The update no longer exists.");
        }
        var subscriberIds = batch.Deliveries.Select(d => d.SubscriberId).ToList();
        var subscribers = await db.Subscribers.AsNoTracking().Where(s => subscriberIds.Contains(s.Id)).ToDictionaryAsync(s => s.Id, cancellationToken);
        return PreparedBatch.Ready(recipients =>
        {
            var delivery = recipients[0];
            return subscribers.TryGetValue(delivery.SubscriberId, out var subscriber) && secrets.Reveal(subscriber) is { } secret
                ? poster.PostAsync(subscriber.Address, secret, "msg_" + delivery.Id.ToString("N"), body.For(unsubscribe.Url(subscriber.Id)), CancellationToken.None)
                : Task.FromResult(new SendResult(DeliveryStatus.Failed, WebhookPoster.Provider, Error: "The subscriber was erased or has no signing secret."));
        });
    }

    public ValueTask PaceAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public SubscriberStatus? SubscriptionAfter(SendResult result) => result.HttpStatus == Gone ? SubscriberStatus.Unsubscribed : null;
}
