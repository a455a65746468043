using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using CommsHub.Core.Channels.Resilience;

namespace CommsHub.Core.Channels.Sms;

public sealed partial class SmsOptions : IValidatableObject
{
    public const string Section = "Channels:Sms";

    /// <summary>An E.164 sender number (<c>+12025550100</c>) or a Messaging Service SID (<c>MG…</c>).</summary>
    public string From { get; set; } = "";

    /// <summary>ISO 3166 region assumed for subscriber numbers typed without a country code.</summary>
    public string DefaultRegion { get; set; } = "US";

    /// <summary>Messages per second this sender may send (Twilio queues beyond its own per-number rate).</summary>
    [System.ComponentModel.DataAnnotations.Range(0.1, 1000)]
    public double MessagesPerSecond { get; set; } = 10;

    /// <summary>At most this many segments per update SMS; longer messages are cut, the link kept.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 10)]
    public int MaxSegments { get; set; } = 2;

    public TwilioOptions Twilio { get; set; } = new();

    public bool Sandboxed => string.IsNullOrWhiteSpace(Twilio.AccountSid) || string.IsNullOrWhiteSpace(Twilio.AuthToken);

    /// <summary>True when <see cref="From"/> names a Messaging Service rather than a number.</summary>
    public bool FromIsMessagingService => From.StartsWith("MG", StringComparison.Ordinal);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var hasSid = !string.IsNullOrWhiteSpace(Twilio.AccountSid);
        var hasToken = !string.IsNullOrWhiteSpace(Twilio.AuthToken);
        // Half a credential pair would otherwise sandbox SMS silently: say which half is missing.
        if (hasSid != hasToken)
        {
            yield return new ValidationResult(
                $"Channels:Sms:Twilio:{(hasSid ? "AuthToken" : "AccountSid")} is empty while Channels:Sms:Twilio:{(hasSid ? "AccountSid" : "AuthToken")} is set: set both to send SMS through Twilio, or neither to keep SMS sandboxed.",
                [hasSid ? "Twilio.AuthToken" : "Twilio.AccountSid"]);
        }
        if (hasSid && !AccountSidRegex().IsMatch(Twilio.AccountSid))
        {
            yield return new ValidationResult(
                $"Channels:Sms:Twilio:AccountSid '{Twilio.AccountSid}' is not an Account SID: copy the 34-character value starting with AC from the Twilio Console.",
                ["Twilio.AccountSid"]);
        }

        if (!Sandboxed && string.IsNullOrWhiteSpace(From))
        {
            yield return new ValidationResult(
                "Channels:Sms:From is required when Twilio credentials are set: an E.164 number such as +12025550100, or a Messaging Service SID starting with MG.",
                [nameof(From)]);
        }
        else if (!string.IsNullOrWhiteSpace(From) && FromError() is { } fromError)
        {
            yield return new ValidationResult(fromError, [nameof(From)]);
        }

        if (!PhoneNumberNormalizer.IsKnownRegion(DefaultRegion))
        {
            yield return new ValidationResult(
                $"Channels:Sms:DefaultRegion '{DefaultRegion}' is not a region with phone numbering: use an ISO 3166 two-letter code such as US, GB or DE.",
                [nameof(DefaultRegion)]);
        }

        if (!Uri.TryCreate(Twilio.BaseUrl, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
        {
            yield return new ValidationResult(
                $"Channels:Sms:Twilio:BaseUrl '{Twilio.BaseUrl}' is not an absolute http(s) URL: leave it unset for https://api.twilio.com.",
                ["Twilio.BaseUrl"]);
        }
        if (Twilio.Timeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult(
                $"Channels:Sms:Twilio:Timeout '{Twilio.Timeout}' must be positive, e.g. 00:00:30.", ["Twilio.Timeout"]);
        }
        foreach (var error in Twilio.CircuitBreaker.Validate("Channels:Sms:Twilio:CircuitBreaker", "Twilio.CircuitBreaker"))
        {
            yield return error;
        }
    }

    private string? FromError()
    {
        if (FromIsMessagingService)
        {
            return MessagingServiceSidRegex().IsMatch(From)
                ? null
                : $"Channels:Sms:From '{From}' looks like a Messaging Service SID but is not one: it is MG followed by 32 hexadecimal characters.";
        }
        // The sender goes to Twilio verbatim, so it must already be E.164; suggest the fix when it is merely formatted.
        if (!PhoneNumberNormalizer.TryNormalize(From, DefaultRegion, out var e164, out var error))
        {
            return $"Channels:Sms:From '{From}' is neither an E.164 number nor a Messaging Service SID (MG…): {error}";
        }
        return e164 == From ? null : $"Channels:Sms:From '{From}' must be written in E.164 form: {e164}.";
    }

    [GeneratedRegex("^AC[0-9a-fA-F]{32}$")]
    private static partial Regex AccountSidRegex();

    [GeneratedRegex("^MG[0-9a-fA-F]{32}$")]
    private static partial Regex MessagingServiceSidRegex();
}

public sealed class TwilioOptions
{
    public string AccountSid { get; set; } = "";
    public string AuthToken { get; set; } = "";

    /// <summary>Twilio API origin; anything else (a proxy, a loopback fake) receives every request the SDK makes.</summary>
    public string BaseUrl { get; set; } = TwilioBaseUrlHandler.TwilioOrigin;

    /// <summary>How long one API request may take before it is treated as a transient failure.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>When Twilio counts as down and sends are deferred instead of attempted.</summary>
    public CircuitBreakerOptions CircuitBreaker { get; set; } = new();
}
