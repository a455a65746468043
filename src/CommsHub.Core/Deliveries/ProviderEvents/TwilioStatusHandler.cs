using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Deliveries.ProviderEvents;

/// <summary>
/// Applies a verified Twilio status callback to the SMS delivery whose provider message id is the
/// callback's MessageSid. Twilio posts each step (queued, sent, delivered …) separately and in no
/// guaranteed order; only sent, delivered, undelivered and failed say something we record.
/// </summary>
public sealed class TwilioStatusHandler(CommsHubDbContext db, DeliveryEvents deliveryEvents, ILogger<TwilioStatusHandler> logger)
{
    public const string Actor = "twilio";
    public const string Inbox = "twilio-status";

    // The common ones, so lastError reads on its own; any other code is shown bare
    // (https://www.twilio.com/docs/api/errors has them all).
    private static readonly Dictionary<string, string> Errors = new()
    {
        ["30001"] = "Queue overflow",
        ["30002"] = "Account suspended",
        ["30003"] = "Unreachable destination handset",
        ["30004"] = "Message blocked",
        ["30005"] = "Unknown destination handset",
        ["30006"] = "Landline or unreachable carrier",
        ["30007"] = "Message filtered by the carrier",
        ["30008"] = "Unknown error",
        ["30009"] = "Missing inbound segment",
        ["30010"] = "Message price exceeds max price",
        ["30032"] = "Toll-free number has not been verified",
        ["30034"] = "Message from an unregistered US A2P 10DLC number",
        ["21610"] = "The recipient replied STOP to this sender",
    };

    /// <returns>How many changes were applied.</returns>
    public async Task<int> HandleAsync(string messageSid, string messageStatus, string? errorCode, CancellationToken cancellationToken)
    {
        DeliveryStatus? status = messageStatus switch
        {
            "sent" => DeliveryStatus.Sent,
            "delivered" => DeliveryStatus.Delivered,
            "undelivered" or "failed" => DeliveryStatus.Failed,
            _ => null, // queued, accepted, sending, scheduled, read, canceled: nothing to record
        };
        if (status is null || messageSid.Length > 64)
        {
            return 0;
        }
        // Through the kept message ids (BatchBook): no index of the deliveries has their provider's id.
        var delivery = await db.ProviderMessages.AsNoTracking()
            .Where(m => m.ProviderMessageId == messageSid)
            .Join(db.Deliveries, m => m.DeliveryId, d => d.Id, (m, d) => d)
            .Where(d => d.Channel == Channel.Sms)
            .Select(d => new { d.Id, d.SubscriberId })
            .FirstOrDefaultAsync(cancellationToken);
        if (delivery is null)
        {
            logger.LogDebug("Ignored a Twilio status callback for message {MessageSid}: no delivery has it", messageSid);
            return 0;
        }
        var code = string.IsNullOrWhiteSpace(errorCode) || errorCode.Length > 16 ? null : errorCode.Trim();
        var error = status == DeliveryStatus.Failed ? Describe(messageStatus, code) : null;
        // Twilio posts each status of a message once (it retries only on request), so SID + status names the report.
        var report = new DeliveryEvent($"{messageSid}:{messageStatus}", delivery.Id, delivery.SubscriberId, messageStatus, status,
            ErrorCode: code, Error: error);
        return await deliveryEvents.ApplyAsync(Actor, Inbox, [report], cancellationToken);
    }

    public static string Describe(string messageStatus, string? code) => code switch
    {
        null => $"Twilio reported the message {messageStatus}",
        _ when Errors.TryGetValue(code, out var text) => $"Twilio {code}: {text}",
        _ => $"Twilio {code}",
    };
}
