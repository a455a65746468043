using CommsHub.Core.Channels.Email;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Subscribers;

namespace CommsHub.Core.Channels.Webhook;

/// <summary>
/// Webhooks: one signed POST per recipient, 16 at a time per batch of 500, with the delivery id as the
/// Standard Webhooks message id (the same on every retry, so receivers can deduplicate). Each target
/// origin has its own circuit: a dead endpoint holds only its own posts. A 410 ends the subscription.
/// </summary>
public sealed class WebhookAdapter(WebhookBodies bodies, WebhookEndpoints endpoints, WebhookPoster poster, UnsubscribeLinks unsubscribe) : ISendAdapter
{
    private const int Gone = 410;

    public Channel Channel => Channel.Webhook;
    public int RecipientsPerRequest => 1;
    public int Parallelism => 16;
    public bool CircuitPerTarget => true;

    public async Task<PreparedBatch> PrepareAsync(SendBatch batch, CancellationToken cancellationToken)
    {
        Func<Guid, string>? bodyFor;
        if (batch.Message is { WebhookBody: { } messageBody })
        {
            bodyFor = _ => messageBody; // a confirmation event: as it was rendered
        }
        else if (batch.Content is { } content && await bodies.ForAsync(batch.UpdateId, content.IncidentId, cancellationToken) is { } body)
        {
            bodyFor = subscriberId => body.For(unsubscribe.Url(subscriberId));
        }
        else
        {
            return PreparedBatch.Failed(WebhookPoster.Provider, "The update no longer exists.");
        }
        var targets = await endpoints.ForAsync([.. batch.Deliveries.Select(d => d.SubscriberId)], cancellationToken);
        return PreparedBatch.Ready(recipients =>
        {
            var delivery = recipients[0];
            return targets.TryGetValue(delivery.SubscriberId, out var target)
                ? poster.PostAsync(target.Url, target.Secret, "msg_" + delivery.Id.ToString("N"), bodyFor(target.SubscriberId), CancellationToken.None)
                : Task.FromResult(new SendResult(DeliveryStatus.Failed, WebhookPoster.Provider, Error: "The subscriber was erased or has no signing secret."));
        });
    }

    public ValueTask PaceAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public SubscriberStatus? SubscriptionAfter(SendResult result) => result.HttpStatus == Gone ? SubscriberStatus.Unsubscribed : null;
}
