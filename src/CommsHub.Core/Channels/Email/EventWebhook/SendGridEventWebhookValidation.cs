using System.Globalization;
using System.Text;
using EllipticCurve;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendGrid.Helpers.EventWebhook;

namespace CommsHub.Core.Channels.Email.EventWebhook;

public enum EventWebhookVerdict { Valid, NotConfigured, MissingSignature, BadSignature, StaleTimestamp }

/// <summary>
/// Checks SendGrid's signed Event Webhook posts with the SDK's <see cref="RequestValidator"/>: ECDSA
/// (P-256, SHA-256) over the timestamp header followed by the raw body. The SDK checks only the
/// signature, so a captured post could be replayed for ever; the timestamp window is ours.
/// </summary>
public sealed class SendGridEventWebhookValidation
{
    public const string SignatureHeader = RequestValidator.SIGNATURE_HEADER;
    public const string TimestampHeader = RequestValidator.TIMESTAMP_HEADER;

    /// <summary>How far the signed timestamp may be from our clock, either way.</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private readonly RequestValidator _validator = new();
    private readonly PublicKey? _key;
    private readonly TimeProvider _time;

    public SendGridEventWebhookValidation(IOptions<EmailOptions> options, TimeProvider time, ILogger<SendGridEventWebhookValidation> logger)
    {
        _time = time;
        var configured = options.Value.SendGrid.EventWebhookPublicKey;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            // Options validation refuses an unreadable key at start; this only keeps a bad one from being trusted.
            _key = TryParseKey(configured, out var error);
            if (_key is null)
            {
                logger.LogError("Channels:Email:SendGrid:EventWebhookPublicKey is unreadable ({Error}); the event webhook refuses every post", error);
            }
        }
    }

    public bool Configured => _key is not null;

    public static PublicKey? TryParseKey(string key, out string? error)
    {
        try
        {
            error = null;
            // The SDK reads PEM, with or without its BEGIN/END lines: the base64 DER SendGrid shows is accepted as is.
            return new RequestValidator().ConvertPublicKeyToECDSA(key.Trim());
        }
        catch (Exception ex)
        {
            error = ex.Message;
            return null;
        }
    }

    public EventWebhookVerdict Verify(ReadOnlySpan<byte> body, string? signature, string? timestamp)
    {
        if (_key is null)
        {
            return EventWebhookVerdict.NotConfigured;
        }
        if (string.IsNullOrWhiteSpace(signature) || string.IsNullOrWhiteSpace(timestamp))
        {
            return EventWebhookVerdict.MissingSignature;
        }
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            || (_time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > Tolerance)
        {
            return EventWebhookVerdict.StaleTimestamp;
        }
        // Invalid UTF-8 turns into replacement characters here, which then cannot match: fails closed.
        var payload = Encoding.UTF8.GetString(body);
        try
        {
            return _validator.VerifySignature(_key, payload, signature.Trim(), timestamp)
                ? EventWebhookVerdict.Valid
                : EventWebhookVerdict.BadSignature;
        }
        catch (Exception)
        {
            return EventWebhookVerdict.BadSignature; // not base64, not DER: the SDK throws rather than answering false
        }
    }
}

/// <summary>An event webhook key that cannot be read stops the start with a message saying where to get a good one.</summary>
public sealed class EventWebhookKeyValidation : IValidateOptions<EmailOptions>
{
    public ValidateOptionsResult Validate(string? name, EmailOptions options)
    {
        var key = options.SendGrid.EventWebhookPublicKey;
        if (string.IsNullOrWhiteSpace(key) || SendGridEventWebhookValidation.TryParseKey(key, out var error) is not null)
        {
            return ValidateOptionsResult.Success;
        }
        return ValidateOptionsResult.Fail(
            $"Channels:Email:SendGrid:EventWebhookPublicKey is not a base64 ECDSA public key ({error}). Copy the verification key from "
            + "SendGrid: Settings → Mail Settings → Event Webhook → Signature Verification.");
    }
}
