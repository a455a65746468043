using System.Text;
using CommsHub.Api.Website;

namespace CommsHub.Api.Observability;

/// <summary>
/// <c>/docs/webhooks</c>: what CommsHub posts to a subscriber's webhook and how to check it came from
/// us. Every webhook body's <c>meta.documentation</c> links here. A static page in the status page's style.
/// </summary>
internal static class WebhookGuide
{
    public const string Path = "/docs/webhooks";

    public static IEndpointConventionBuilder MapWebhookGuide(this IEndpointRouteBuilder app) =>
        app.MapGet(Path, (IConfiguration configuration) =>
            SitePage.Render(configuration["StatusPage:Name"] is { Length: > 0 } name ? name : "Status", "/", 200,
                "Receiving CommsHub webhooks", "&#128279;", Body))
            .WithTags("Documentation").WithSummary("How to receive and verify CommsHub's webhooks (HTML).");

    private static readonly string Body = new StringBuilder()
        .Append("<p>CommsHub posts a JSON body to your webhook URL for every incident update and component change you subscribed to: ")
        .Append("Atlassian Statuspage's subscriber-webhook shape, so code written for Statuspage reads it unchanged.</p>")
        .Append(Code("""
            {
              "meta": { "unsubscribe": "https://status.example.com/subscriptions/unsubscribe?token=…",
                        "documentation": "https://status.example.com/docs/webhooks",
                        "generated_at": "2026-12-06T10:15:00Z" },
              "page": { "id": "…", "status_indicator": "major", "status_description": "Partial System Outage" },
              "incident": { "id": "…", "name": "Playback outage", "status": "investigating", "impact": "major",
                            "incident_updates": [ { "id": "…", "status": "investigating", "body": "We are investigating." } ] }
            }
            """))
        .Append("<p>A component change carries <code>component_update</code> and <code>component</code> instead of <code>incident</code>. ")
        .Append("Answer with any 2xx within 15 seconds (<code>Webhooks:Timeout</code>); a time-out, 408, 429 or 5xx is retried with back-off, a 410 Gone ends the subscription, any other answer fails that delivery.</p>")
        .Append("<h2>Verify the signature</h2>")
        .Append("<p>Each post is signed per <a href=\"https://www.standardwebhooks.com/\">Standard Webhooks</a> with the secret ")
        .Append("(<code>whsec_…</code>) you received when you subscribed. Three headers come with it: <code>webhook-id</code>, ")
        .Append("<code>webhook-timestamp</code> (Unix seconds) and <code>webhook-signature</code> (<code>v1,&lt;base64&gt;</code>, ")
        .Append("space-separated when there are several). The signature is HMAC-SHA256, keyed with the base64-decoded part of the ")
        .Append("secret after <code>whsec_</code>, over <code>id.timestamp.body</code> (the raw body, byte for byte). ")
        .Append("Refuse a timestamp more than five minutes from your clock, and compare in constant time.</p>")
        .Append("<h3>C#</h3>")
        .Append(Code("""
            using System.Security.Cryptography;
            using System.Text;

            static bool Verify(string secret, string id, string timestamp, string signatures, string body)
            {
                if (!long.TryParse(timestamp, out var ts) || Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - ts) > 300) return false;
                var key = Convert.FromBase64String(secret["whsec_".Length..]);
                var expected = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}"));
                foreach (var candidate in signatures.Split(' '))
                {
                    var parts = candidate.Split(',', 2);
                    if (parts is ["v1", var sig] && CryptographicOperations.FixedTimeEquals(expected, Convert.FromBase64String(sig))) return true;
                }
                return false;
            }
            """))
        .Append("<p class=\"muted\">Or the <code>StandardWebhooks</code> NuGet package: <code>new StandardWebhook(secret).Verify(body, headers)</code>.</p>")
        .Append("<h3>Node.js</h3>")
        .Append(Code("""
            const crypto = require("node:crypto");

            function verify(secret, id, timestamp, signatures, rawBody) {
              if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
              const key = Buffer.from(secret.slice("whsec_".length), "base64");
              const expected = crypto.createHmac("sha256", key).update(`${id}.${timestamp}.${rawBody}`).digest();
              return signatures.split(" ").some((candidate) => {
                const [version, sig] = candidate.split(",", 2);
                const given = Buffer.from(sig ?? "", "base64");
                return version === "v1" && given.length === expected.length && crypto.timingSafeEqual(given, expected);
              });
            }
            """))
        .Append("<h3>Python</h3>")
        .Append(Code("""
            import base64, hashlib, hmac, time

            def verify(secret: str, msg_id: str, timestamp: str, signatures: str, raw_body: bytes) -> bool:
                if abs(time.time() - int(timestamp)) > 300:
                    return False
                key = base64.b64decode(secret.removeprefix("whsec_"))
                expected = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + raw_body, hashlib.sha256).digest()
                for candidate in signatures.split(" "):
                    version, _, sig = candidate.partition(",")
                    if version == "v1" and hmac.compare_digest(base64.b64decode(sig), expected):
                        return True
                return False
            """))
        .Append("<p class=\"muted\">Read the body as raw bytes before any JSON parsing: a re-serialised body does not match its signature.</p>")
        .ToString();

    private static string Code(string text) =>
        "<pre style=\"overflow-x:auto;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:12px;font-size:.85rem\"><code>"
        + SitePage.Encode(text) + "</code></pre>";
}
