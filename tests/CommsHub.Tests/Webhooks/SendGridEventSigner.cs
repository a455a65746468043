using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace CommsHub.Tests.Webhooks;

/// <summary>
/// Signs Event Webhook posts as SendGrid documents it, independently of the SDK under test: ECDSA
/// P-256 over SHA-256 of the timestamp header followed by the raw body, the signature DER-encoded
/// (RFC 3279) and base64'd. The configured key is the SubjectPublicKeyInfo, base64 (what SendGrid shows).
/// </summary>
public sealed class SendGridEventSigner : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public string PublicKey => Convert.ToBase64String(_key.ExportSubjectPublicKeyInfo());

    public string Sign(string timestamp, string payload) =>
        Convert.ToBase64String(_key.SignData(Encoding.UTF8.GetBytes(timestamp + payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));

    /// <summary>Posts <paramref name="payload"/> signed at <paramref name="at"/> (now by default) and answers the status code.</summary>
    /// <param name="signature">Sent instead of the real signature ("" leaves the header out).</param>
    public async Task<(HttpStatusCode Status, string Body)> PostAsync(HttpClient client, string payload, DateTimeOffset? at = null, string? signature = null)
    {
        var timestamp = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/sendgrid/events")
        {
            Content = new StringContent(payload, Encoding.UTF8, "application/json"),
        };
        signature ??= Sign(timestamp, payload);
        if (signature.Length > 0)
        {
            request.Headers.Add("X-Twilio-Email-Event-Webhook-Signature", signature);
        }
        request.Headers.Add("X-Twilio-Email-Event-Webhook-Timestamp", timestamp);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public Task<(HttpStatusCode Status, string Body)> PostAsync(HttpClient client, params JsonObject[] events) =>
        PostAsync(client, new JsonArray([.. events.Select(e => e.DeepClone())]).ToJsonString());

    /// <summary>An event as SendGrid posts it: our custom args at the top level, a fresh sg_event_id unless given.</summary>
    public static JsonObject Event(string name, string? deliveryId, string email, string messageId, string? eventId = null,
        DateTimeOffset? at = null, JsonObject? extra = null)
    {
        var e = new JsonObject
        {
            ["email"] = email,
            ["timestamp"] = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
            ["smtp-id"] = "<14c5d75ce93.dfd.64b469@ismtpd-555>",
            ["event"] = name,
            ["category"] = new JsonArray(),
            ["sg_event_id"] = eventId ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('='),
            ["sg_message_id"] = messageId + ".filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",
        };
        if (deliveryId is not null)
        {
            e["delivery_id"] = deliveryId;
        }
        foreach (var (k, v) in extra ?? [])
        {
            e[k] = v?.DeepClone();
        }
        return e;
    }

    public void Dispose() => _key.Dispose();
}
