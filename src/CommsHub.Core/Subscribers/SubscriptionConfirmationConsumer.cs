using CommsHub.Contracts;
using CommsHub.Core.Channels;
using System.Text.Json;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Channels.Webhook;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Hosting;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using CommsHub.Core.Deliveries;

namespace CommsHub.Core.Subscribers;

/// <summary>
/// Sends a pending subscriber its confirmation on its own channel. The subscriber row is claimed
/// first (one conditional UPDATE on ConfirmationSentAt), so a redelivered command sends nothing
/// twice; a transient provider failure releases the claim for the retry.
/// </summary>
public sealed class SubscriptionConfirmationConsumer(
    CommsHubDbContext db,
    SubscriptionTokens tokens,
    ConfirmationSenders senders,
    IOptions<CommsHubOptions> hub,
    IOptions<SubscriptionOptions> subscriptions,
    TimeProvider time,
    ILogger<SubscriptionConfirmationConsumer> logger) : IConsumer<SendSubscriptionConfirmation>
{
    public async Task Consume(ConsumeContext<SendSubscriptionConfirmation> context)
    {
        var ct = context.CancellationToken;
        var m = context.Message;
        var now = time.GetUtcNow();
        var claimed = await db.Subscribers
            .Where(s => s.Id == m.SubscriberId && s.Status == SubscriberStatus.Pending
                        && (s.ConfirmationSentAt == null || s.ConfirmationSentAt < m.RequestedAt))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ConfirmationSentAt, now), ct);
        if (claimed == 0)
        {
            return; // confirmed meanwhile, erased, or this request was already served
        }

        var subscriber = await db.Subscribers.AsNoTracking().FirstAsync(s => s.Id == m.SubscriberId, ct);
        var componentNames = await (
                from sc in db.Set<SubscriberComponent>().AsNoTracking()
                join c in db.Components.AsNoTracking() on sc.ComponentId equals c.Id
                where sc.SubscriberId == subscriber.Id
                orderby c.Position, c.Name
                select c.Name)
            .ToListAsync(ct);
        var confirmation = new Confirmation(
            subscriber,
            hub.Value.PageName,
            hub.Value.Link("/subscriptions/confirm?token=" + Uri.EscapeDataString(tokens.ForConfirmation(subscriber.Id))),
            now + subscriptions.Value.ConfirmationTokenLifetime,
            componentNames);

        var result = await senders.SendAsync(confirmation, ct);
        if (result.Transient)
        {
            await db.Subscribers.Where(s => s.Id == subscriber.Id && s.ConfirmationSentAt == now)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.ConfirmationSentAt, (DateTimeOffset?)null), ct);
            throw new TransientDeliveryException(result.Error ?? "Transient provider failure");
        }
        if (!result.Accepted)
        {
            logger.LogWarning("Confirmation for subscriber {SubscriberId} ({Channel}) was refused: {Error}",
                subscriber.Id, subscriber.Channel.ToWire(), result.Error);
        }
    }
}

public sealed record Confirmation(Subscriber Subscriber, string PageName, string ConfirmUrl, DateTimeOffset ExpiresAt, IReadOnlyList<string> ComponentNames);

/// <summary>How a confirmation is worded and sent on each channel.</summary>
public sealed class ConfirmationSenders(IEmailSender email, ISmsSender sms, WebhookPoster webhooks, SubscriberSecrets secrets, TimeProvider time)
{
    public Task<SendResult> SendAsync(Confirmation c, CancellationToken cancellationToken) => c.Subscriber.Channel switch
    {
        Channel.Email => email.SendAsync(
            EmailRenderer.RenderConfirmation(c.PageName, c.ConfirmUrl, c.ExpiresAt, c.ComponentNames),
            [new EmailRecipient(c.Subscriber.Address, new Dictionary<string, string> { ["subscriber_id"] = c.Subscriber.Id.ToString(), ["purpose"] = "confirmation" })],
            cancellationToken),
        // Carrier rules: who is texting, what to reply, how to stop, that rates may apply.
        Channel.Sms => sms.SendAsync(c.Subscriber.Address,
            $"{c.PageName}: reply YES to get incident alerts by text. Reply STOP to cancel, HELP for help. Msg&data rates may apply.",
            null, cancellationToken),
        Channel.Webhook => webhooks.PostAsync(c.Subscriber.Address, secrets.Reveal(c.Subscriber)!, "msg_" + Ids.New().ToString("N"),
            JsonSerializer.Serialize(new
            {
                type = "subscription.confirmation",
                created_at = time.GetUtcNow(),
                page = new { name = c.PageName },
                subscription = new { id = c.Subscriber.Id, components = c.ComponentNames },
                confirm_url = c.ConfirmUrl,
                expires_at = c.ExpiresAt,
                message = "Open confirm_url (GET) to start receiving incident events at this endpoint; ignore this event otherwise.",
            }), cancellationToken),
        _ => Task.FromResult(new SendResult(DeliveryStatus.Failed, "none", Error: $"No confirmation is defined for the {c.Subscriber.Channel.ToWire()} channel.")),
    };
}
