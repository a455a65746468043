using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace CommsHub.FaultTests;

/// <summary>One provider callback as it goes over the wire, kept as bytes so it can be sent again unchanged.</summary>
internal sealed record CallbackRequest(string Kind, string Path, byte[] Body, string ContentType, IReadOnlyList<(string Name, string Value)> Headers,
    HttpStatusCode Expected)
{
    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new ByteArrayContent(Body) };
        message.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(ContentType);
        foreach (var (name, value) in Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
        return message;
    }

    /// <summary>The same bytes and headers, posted again: what an attacker who captured it, or a provider retrying, sends.</summary>
    public CallbackRequest Replay() => this with { Kind = "replay of " + Kind, Expected = HttpStatusCode.OK };
}

/// <summary>Builds genuine and forged SendGrid Event Webhook posts and Twilio callbacks.</summary>
internal static class CallbackRequests
{
    public const string SendGridPath = "/webhooks/sendgrid/events";
    public const string TwilioStatusPath = "/webhooks/twilio/status";
    public const string TwilioSmsPath = "/webhooks/twilio/sms";
    public const string PublicBase = "https://status.test";

    public static JsonObject SendGridEvent(string name, string email, string deliveryId, string messageId, DateTimeOffset at, string? eventId = null)
    {
        var e = new JsonObject
        {
            ["email"] = email,
            ["timestamp"] = at.ToUnixTimeSeconds(),
            ["event"] = name,
            ["sg_event_id"] = eventId ?? Guid.NewGuid().ToString("N"),
            ["sg_message_id"] = messageId + ".filterdrecv-5645d9c87f-78xbn-1-5F5FC76C-20.0",
            ["delivery_id"] = deliveryId,
        };
        if (name == "bounce")
        {
            e["type"] = "bounce";
            e["status"] = "5.1.1";
        }
        return e;
    }

    /// <param name="signedAt">The timestamp header, and what the signature covers.</param>
    /// <param name="tamper">Changes the body after it was signed.</param>
    public static CallbackRequest SignedSendGrid(string kind, IEnumerable<JsonObject> events, ECDsa key, DateTimeOffset signedAt,
        HttpStatusCode expected = HttpStatusCode.OK, Func<string, string>? tamper = null, bool withSignature = true, bool withTimestamp = true,
        string? signature = null, string? timestampHeader = null)
    {
        var payload = new JsonArray([.. events.Select(e => e.DeepClone())]).ToJsonString();
        var timestamp = signedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        signature ??= Convert.ToBase64String(key.SignData(Encoding.UTF8.GetBytes(timestamp + payload), HashAlgorithmName.SHA256,
            DSASignatureFormat.Rfc3279DerSequence));
        var headers = new List<(string, string)>();
        if (withSignature)
        {
            headers.Add(("X-Twilio-Email-Event-Webhook-Signature", signature));
        }
        if (withTimestamp)
        {
            headers.Add(("X-Twilio-Email-Event-Webhook-Timestamp", timestampHeader ?? timestamp));
        }
        var body = tamper is null ? payload : tamper(payload);
        return new CallbackRequest(kind, SendGridPath, Encoding.UTF8.GetBytes(body), "application/json", headers, expected);
    }

    /// <param name="signedUrl">The URL the signature covers (by default the one posted to, as Twilio sees it).</param>
    /// <param name="tamper">Changes the parameters after they were signed.</param>
    public static CallbackRequest SignedTwilio(string kind, string path, Dictionary<string, string> parameters, string authToken,
        HttpStatusCode expected = HttpStatusCode.OK, string? signedUrl = null, Action<Dictionary<string, string>>? tamper = null,
        bool withSignature = true, string? signature = null)
    {
        signature ??= TwilioSignature.Compute(authToken, signedUrl ?? PublicBase + path, parameters);
        var sent = new Dictionary<string, string>(parameters);
        tamper?.Invoke(sent);
        var body = string.Join("&", sent.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        var headers = withSignature ? new List<(string, string)> { ("X-Twilio-Signature", signature) } : [];
        return new CallbackRequest(kind, path, Encoding.UTF8.GetBytes(body), "application/x-www-form-urlencoded", headers, expected);
    }

    public static Dictionary<string, string> TwilioStatus(string sid, string to, string status, string? errorCode = null)
    {
        var parameters = new Dictionary<string, string>
        {
            ["AccountSid"] = TwilioFake.AccountSid,
            ["MessageSid"] = sid,
            ["SmsSid"] = sid,
            ["MessageStatus"] = status,
            ["SmsStatus"] = status,
            ["To"] = to,
            ["From"] = "+15005550006",
            ["ApiVersion"] = "2010-04-01",
        };
        if (errorCode is not null)
        {
            parameters["ErrorCode"] = errorCode;
        }
        return parameters;
    }

    public static Dictionary<string, string> InboundSms(string sid, string from, string body) => new()
    {
        ["AccountSid"] = TwilioFake.AccountSid,
        ["MessageSid"] = sid,
        ["SmsMessageSid"] = sid,
        ["From"] = from,
        ["To"] = "+15005550006",
        ["Body"] = body,
        ["NumMedia"] = "0",
        ["NumSegments"] = "1",
        ["ApiVersion"] = "2010-04-01",
    };

    public static string NewSid() => "SM" + Guid.NewGuid().ToString("N");
}
