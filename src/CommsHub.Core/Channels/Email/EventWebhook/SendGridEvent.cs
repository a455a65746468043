using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CommsHub.Core.Channels.Email.EventWebhook;

/// <summary>
/// One Event Webhook event, only the fields we act on. Custom args come back as top-level fields,
/// so <c>delivery_id</c> is the one our sender put in the recipient's personalization.
/// </summary>
/// <param name="EventId"><c>sg_event_id</c>, or a hash of the event's text when SendGrid gave none (a replay still matches).</param>
/// <param name="MessageId"><c>sg_message_id</c>: the X-Message-Id of the request, then <c>.</c> and SendGrid's suffix.</param>
/// <param name="Type">For a bounce: <c>bounce</c> (permanent) or <c>blocked</c> (the receiving server refused, for now).</param>
/// <param name="Status">For a bounce: the SMTP enhanced status code, such as <c>5.1.1</c>.</param>
/// <param name="Reason">For a drop: SendGrid's fixed reason (<c>Bounced Address</c>, …). A bounce's reason quotes the
/// receiving server, often with the address in it, so it is not kept.</param>
public sealed record SendGridEvent(
    string Event,
    string EventId,
    string? MessageId,
    string? Email,
    DateTimeOffset? At,
    Guid? DeliveryId,
    string? Type = null,
    string? Status = null,
    string? Reason = null,
    string? Classification = null)
{
    /// <summary>The X-Message-Id our send recorded as the delivery's provider message id.</summary>
    public string? RequestMessageId => MessageId?.Split('.', 2)[0] is { Length: > 0 } id ? id : null;

    /// <summary>Reads a posted batch; null when the body is not a JSON array. Elements that are not events are skipped.</summary>
    public static List<SendGridEvent>? ParseBatch(ReadOnlySpan<byte> body)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(body);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            return null;
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return null;
            }
            var events = new List<SendGridEvent>();
            foreach (var element in document.RootElement.EnumerateArray())
            {
                if (element.ValueKind == JsonValueKind.Object && Text(element, "event") is { } name)
                {
                    events.Add(Parse(element, name));
                }
            }
            return events;
        }
    }

    private static SendGridEvent Parse(JsonElement e, string name) => new(
        name,
        Text(e, "sg_event_id") is { Length: <= 200 } eventId
            ? eventId
            : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(e.GetRawText()))),
        Text(e, "sg_message_id"),
        Text(e, "email"),
        e.TryGetProperty("timestamp", out var ts) && ts.ValueKind == JsonValueKind.Number && ts.TryGetInt64(out var seconds)
            && seconds is >= 0 and < 253402300800 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null,
        Guid.TryParse(Text(e, "delivery_id"), out var id) ? id : null,
        Text(e, "type"),
        Text(e, "status"),
        Text(e, "reason"),
        Text(e, "bounce_classification"));

    /// <summary>A string field; numbers too, as SendGrid's older events sent some ids unquoted.</summary>
    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString() is { Length: > 0 } s ? s : null,
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;
}
