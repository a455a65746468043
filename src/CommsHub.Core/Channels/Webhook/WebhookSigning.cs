using System.Globalization;
using System.Security.Cryptography;
using StandardWebhooks;

namespace CommsHub.Core.Channels.Webhook;

public static class WebhookSecrets
{
    public const string Prefix = "whsec_";

    /// <summary>A new signing secret in the Standard Webhooks form: <c>whsec_</c> + base64 of 24 random bytes.</summary>
    public static string Generate() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
}

/// <summary>Standard Webhooks signatures (https://www.standardwebhooks.com), computed by the StandardWebhooks package.</summary>
public static class WebhookSigner
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    /// <summary>The <c>webhook-signature</c> value: <c>v1,</c> + base64 HMAC-SHA256 of <c>{id}.{unix seconds}.{body}</c>.</summary>
    public static string Sign(string secret, string messageId, DateTimeOffset timestamp, string body) =>
        Webhook(secret).Sign(messageId, timestamp, body);

    /// <summary>The three headers a delivery carries, keyed by header name.</summary>
    public static IReadOnlyDictionary<string, string> Headers(string secret, string messageId, DateTimeOffset timestamp, string body) =>
        new Dictionary<string, string>
        {
            [IdHeader] = messageId,
            [TimestampHeader] = timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            [SignatureHeader] = Sign(secret, messageId, timestamp, body),
        };

    private static StandardWebhook Webhook(string secret)
    {
        // The package would also take a bare base64 key; we store and accept one form only.
        if (!secret.StartsWith(WebhookSecrets.Prefix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"A webhook secret starts with '{WebhookSecrets.Prefix}' followed by base64.", nameof(secret));
        }
        try
        {
            return new StandardWebhook(secret);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"The webhook secret after '{WebhookSecrets.Prefix}' is not valid base64.", nameof(secret), e);
        }
    }
}
