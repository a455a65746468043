using CommsHub.Contracts;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Hosting;
using CommsHub.Core.Subscribers;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Channels.Webhook;

/// <summary>
/// POSTs one planned batch of webhook deliveries, each signed with its subscriber's secret and
/// with the delivery id as the Standard Webhooks message id (the same on every retry, so
/// receivers can deduplicate). Posts run in parallel; outcomes are recorded in groups
/// (<see cref="OutcomeBuffer"/>), one commit per group. A 410 answer ends the subscription. A post
/// whose target's circuit is open is deferred, not attempted; the other targets are posted as usual.
/// </summary>
public sealed class SendWebhookBatchConsumer(
    CommsHubDbContext db,
    DeliveryLeases leases,
    IServiceScopeFactory scopes,
    WebhookPoster poster,
    SubscriberSecrets secrets,
    UnsubscribeLinks unsubscribe,
    IOptions<CommsHubOptions> hub,
    IMemoryCache cache,
    TimeProvider time) : IConsumer<SendWebhookBatch>
{
    private const int Parallelism = 16;

    public async Task Consume(ConsumeContext<SendWebhookBatch> context)
    {
        var ct = context.CancellationToken;
        var lease = await leases.ClaimAsync(context.Message.UpdateId, Channel.Webhook, context.Message.Batch, ct);
        if (lease.Deliveries.Count == 0)
        {
            return;
        }
        // Every batch of an update posts the same body: it is built once per update per process
        // (a handful of queries), not once per batch of 100.
        var body = await cache.GetOrCreateAsync(("webhook-body", context.Message.UpdateId), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1);
            var incidentId = await db.IncidentUpdates.Where(u => u.Id == context.Message.UpdateId).Select(u => u.IncidentId).FirstOrDefaultAsync(ct);
            return await StatuspageWebhookBody.BuildAsync(db, context.Message.UpdateId, hub.Value.PublicBaseUrl,
                hub.Value.Link($"/incidents/{incidentId}"), time.GetUtcNow(), ct);
        });
        if (body is null)
        {
            await leases.CompleteAsync(lease, new SendResult(DeliveryStatus.Failed, WebhookPoster.Provider, Error: "The update no longer exists."), ct);
            return;
        }
        var subscriberIds = lease.Deliveries.Select(d => d.SubscriberId).ToList();
        var subscribers = await db.Subscribers.AsNoTracking().Where(s => subscriberIds.Contains(s.Id)).ToDictionaryAsync(s => s.Id, ct);

        using var outcomes = new OutcomeBuffer(scopes, lease, time);
        var finished = false;
        var heldFor = TimeSpan.MaxValue;
        var heldLock = new Lock();
        try
        {
            await Parallel.ForEachAsync(lease.Deliveries, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, async (delivery, token) =>
            {
                SendResult result;
                if (!subscribers.TryGetValue(delivery.SubscriberId, out var subscriber) || secrets.Reveal(subscriber) is not { } secret)
                {
                    result = new SendResult(DeliveryStatus.Failed, WebhookPoster.Provider, Error: "The subscriber was erased or has no signing secret.");
                }
                else
                {
                    // A post once started runs to its answer (bounded by Webhooks:Timeout): cancelling
                    // the message stops new posts only, so none is abandoned half-delivered.
                    result = await poster.PostAsync(subscriber.Address, secret, "msg_" + delivery.Id.ToString("N"),
                        body.For(unsubscribe.Url(subscriber.Id)), CancellationToken.None);
                }
                if (result.Held)
                {
                    // Its target's circuit is open (or its Retry-After runs): left leased, deferred below.
                    lock (heldLock)
                    {
                        heldFor = TimeSpan.FromTicks(Math.Min(heldFor.Ticks, result.RetryAfter.GetValueOrDefault().Ticks));
                    }
                    return;
                }

                await outcomes.AddAsync(delivery, result, CancellationToken.None);
                if (result.HttpStatus == StatusCodes.Gone)
                {
                    var now = time.GetUtcNow();
                    await using var scope = scopes.CreateAsyncScope();
                    await scope.ServiceProvider.GetRequiredService<CommsHubDbContext>().Subscribers
                        .Where(s => s.Id == delivery.SubscriberId && s.Status == SubscriberStatus.Confirmed)
                        .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SubscriberStatus.Unsubscribed).SetProperty(x => x.UnsubscribedAt, now), token);
                }
            });
            if (heldFor != TimeSpan.MaxValue)
            {
                // Everything else is recorded first, so the deferral takes only the held posts, untried (no attempt
                // counted). They come back when the first of their circuits may take calls again; one still open defers again.
                await outcomes.FlushAsync(CancellationToken.None);
                await leases.DeferAsync(lease, time.GetUtcNow() + heldFor, CancellationToken.None);
            }
            finished = true;
        }
        finally
        {
            // Whatever was posted is recorded, even when the batch stops half-way; what was never
            // posted is given back for the redelivered command.
            await outcomes.FlushAsync(CancellationToken.None);
            if (!finished)
            {
                await leases.ReleaseUntriedAsync(lease);
            }
        }
    }

    private static class StatusCodes
    {
        public const int Gone = 410;
    }
}
