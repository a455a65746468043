using System.Text.Json;
using CommsHub.Contracts;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Hosting;
using CommsHub.Core.Messaging;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Subscribers;

/// <summary>
/// Queues a pending subscriber's confirmation on its own channel, as a delivery of kind
/// <c>confirmation</c>: the one sending pipeline claims, sends, retries, records and audits it like any
/// other. The subscriber row is claimed first (one conditional UPDATE on ConfirmationSentAt) in the
/// same transaction as the delivery, so a redelivered command queues nothing twice.
/// </summary>
public sealed class SubscriptionConfirmationConsumer(
    CommsHubDbContext db,
    SubscriptionTokens tokens,
    ConfirmationMessages renderer,
    OutboundMessages messages,
    OutboxSignal outbox,
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
        await using var tx = await db.Database.BeginTransactionAsync(ct);
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
        if (renderer.Render(confirmation) is not { } content)
        {
            logger.LogWarning("No confirmation is defined for the {Channel} channel (subscriber {SubscriberId})", subscriber.Channel.ToWire(), subscriber.Id);
            return;
        }
        messages.Queue(DeliveryKind.Confirmation, "subscription.confirmation", content,
            [new MessageRecipient(subscriber.Channel, subscriber.Id, subscriber.Address)]);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        outbox.Notify();
    }
}

public sealed record Confirmation(Subscriber Subscriber, string PageName, string ConfirmUrl, DateTimeOffset ExpiresAt, IReadOnlyList<string> ComponentNames);

/// <summary>How a confirmation is worded on each channel.</summary>
public sealed class ConfirmationMessages(SubscriberSecrets secrets, TimeProvider time)
{
    /// <returns>The message, or null for a channel that has no confirmation.</returns>
    public MessageContent? Render(Confirmation c)
    {
        switch (c.Subscriber.Channel)
        {
            case Channel.Email:
                var email = EmailRenderer.RenderConfirmation(c.PageName, c.ConfirmUrl, c.ExpiresAt, c.ComponentNames);
                return new MessageContent(email.Subject, email.Text, email.Html);
            case Channel.Sms:
                // Carrier rules: who is texting, what to reply, how to stop, that rates may apply.
                return new MessageContent($"{c.PageName} subscription",
                    $"{c.PageName}: reply YES to get incident alerts by text. Reply STOP to cancel, HELP for help. Msg&data rates may apply.");
            case Channel.Webhook:
                // Only the endpoint itself learns the secret its events will be signed with: it travels here, never in an API answer.
                var body = JsonSerializer.Serialize(new
                {
                    type = "subscription.confirmation",
                    created_at = time.GetUtcNow(),
                    page = new { name = c.PageName },
                    subscription = new { id = c.Subscriber.Id, components = c.ComponentNames },
                    secret = secrets.Reveal(c.Subscriber),
                    confirm_url = c.ConfirmUrl,
                    expires_at = c.ExpiresAt,
                    message = "Open confirm_url (GET) to start receiving incident events at this endpoint; ignore this event otherwise. "
                              + "Every event, this one included, is signed with secret (Standard Webhooks).",
                });
                return new MessageContent($"{c.PageName} subscription", "A webhook subscription to confirm.", WebhookBody: body);
            default:
                return null;
        }
    }
}
