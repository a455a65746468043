using CommsHub.Core.Channels.Email.EventWebhook;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Deliveries.ProviderEvents;

/// <summary>
/// Turns a verified Event Webhook batch into delivery and subscriber changes. Events are matched by
/// the <c>delivery_id</c> custom arg our sender adds to every personalization; an event without it
/// (an older send, a hand-made test) falls back to the request's message id plus the address.
/// </summary>
public sealed class SendGridEventHandler(CommsHubDbContext db, DeliveryEvents deliveryEvents, ILogger<SendGridEventHandler> logger)
{
    public const string Actor = "sendgrid";
    public const string Inbox = "sendgrid-event";

    // Drops that say something about the address. The others (Invalid SMTPAPI header, Spam Content,
    // Recipient List over Package Quota, …) are about our message or account: suppressing the
    // subscriber for those would silently empty the audience after one bad send.
    private static readonly Dictionary<string, SubscriberEffect> DropReasons = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Bounced Address"] = SubscriberEffect.Suppress,
        ["Invalid"] = SubscriberEffect.Suppress,
        ["Invalid Address"] = SubscriberEffect.Suppress,
        ["Spam Reporting Address"] = SubscriberEffect.Suppress,
        ["Unsubscribed Address"] = SubscriberEffect.Unsubscribe,
    };

    /// <returns>How many changes were applied.</returns>
    public async Task<int> HandleAsync(IReadOnlyList<SendGridEvent> batch, CancellationToken cancellationToken)
    {
        var actionable = batch.Where(e => Translate(e) is not null).ToList();
        if (actionable.Count == 0)
        {
            return 0; // processed, deferred, open, click: nothing to record
        }
        var matches = await MatchAsync(actionable, cancellationToken);
        var events = new List<DeliveryEvent>();
        foreach (var (e, delivery) in actionable.Zip(matches))
        {
            if (delivery is not { } d)
            {
                continue;
            }
            var (status, subscriber, code, error) = Translate(e)!.Value;
            events.Add(new DeliveryEvent(e.EventId, d.Id, d.SubscriberId, e.Event, status, subscriber, e.At, code, error));
        }
        if (events.Count < actionable.Count)
        {
            // Another installation's mail on the same SendGrid account, or deliveries removed by retention.
            logger.LogDebug("Ignored {Count} SendGrid event(s) for deliveries this hub does not know", actionable.Count - events.Count);
        }
        return await deliveryEvents.ApplyAsync(Actor, Inbox, events, cancellationToken);
    }

    private static (DeliveryStatus? Status, SubscriberEffect Subscriber, string? Code, string? Error)? Translate(SendGridEvent e) => e.Event switch
    {
        "delivered" => (DeliveryStatus.Delivered, SubscriberEffect.None, null, null),
        // "blocked" is the receiving server refusing for now (reputation, rate): the address itself may be fine.
        "bounce" => (DeliveryStatus.Bounced, e.Type == "blocked" ? SubscriberEffect.None : SubscriberEffect.Suppress, e.Status, BounceError(e)),
        "dropped" => (DeliveryStatus.Bounced, e.Reason is { } r && DropReasons.TryGetValue(r.Trim(), out var effect) ? effect : SubscriberEffect.None,
            null, $"SendGrid dropped the message: {Clip(e.Reason ?? "no reason given")}"),
        "spamreport" => (null, SubscriberEffect.Suppress, null, null),
        "unsubscribe" or "group_unsubscribe" => (null, SubscriberEffect.Unsubscribe, null, null),
        _ => null,
    };

    private static string BounceError(SendGridEvent e)
    {
        var text = $"SendGrid {(e.Type == "blocked" ? "block" : "bounce")}";
        if (e.Status is not null)
        {
            text += " " + Clip(e.Status);
        }
        return e.Classification is null ? text : $"{text} ({Clip(e.Classification)})";
    }

    private static string Clip(string text) => text.Length <= 200 ? text : text[..200];

    /// <summary>The delivery each event is about, in the order given; null where none matches. Two queries per batch.</summary>
    private async Task<List<(Guid Id, Guid SubscriberId)?>> MatchAsync(List<SendGridEvent> events, CancellationToken cancellationToken)
    {
        var ids = events.Where(e => e.DeliveryId is not null).Select(e => e.DeliveryId!.Value).Distinct().ToList();
        var byId = ids.Count == 0
            ? []
            : await db.Deliveries.AsNoTracking().Where(d => d.Channel == Channel.Email && ids.Contains(d.Id))
                .ToDictionaryAsync(d => d.Id, d => d.SubscriberId, cancellationToken);

        var rest = events.Where(e => !(e.DeliveryId is { } id && byId.ContainsKey(id)) && e.RequestMessageId is not null && e.Email is not null).ToList();
        var byMessage = new Dictionary<(string, string), (Guid, Guid)>();
        if (rest.Count > 0)
        {
            var messageIds = rest.Select(e => e.RequestMessageId!).Distinct().ToList();
            var addresses = rest.Select(e => e.Email!.ToLowerInvariant()).Distinct().ToList();
            // One request's X-Message-Id covers its up to 1,000 recipients: the address tells them apart.
            var rows = await db.Deliveries.AsNoTracking()
                .Where(d => d.Channel == Channel.Email && messageIds.Contains(d.ProviderMessageId!) && addresses.Contains(d.Recipient))
                .Select(d => new { d.Id, d.SubscriberId, d.ProviderMessageId, d.Recipient })
                .ToListAsync(cancellationToken);
            foreach (var row in rows)
            {
                byMessage.TryAdd((row.ProviderMessageId!, row.Recipient), (row.Id, row.SubscriberId));
            }
        }

        return events.Select(e =>
        {
            if (e.DeliveryId is { } id && byId.TryGetValue(id, out var subscriberId))
            {
                return (id, subscriberId);
            }
            return e.RequestMessageId is { } m && e.Email is { } a && byMessage.TryGetValue((m, a.ToLowerInvariant()), out var found)
                ? found
                : ((Guid, Guid)?)null;
        }).ToList();
    }
}
