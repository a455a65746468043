using Microsoft.Extensions.Options;
using Twilio.Security;

namespace CommsHub.Core.Channels.Sms;

/// <summary>Checks <c>X-Twilio-Signature</c> on Twilio's webhook posts with the account Auth Token.</summary>
public sealed class TwilioRequestValidation(IOptions<SmsOptions> options)
{
    private readonly RequestValidator? _validator = string.IsNullOrEmpty(options.Value.Twilio.AuthToken)
        ? null
        : new RequestValidator(options.Value.Twilio.AuthToken);

    /// <param name="url">The full URL Twilio posted to, as Twilio saw it (scheme, host, port, path and query).</param>
    /// <param name="formParameters">Every form field of the POST body.</param>
    /// <param name="signatureHeader">The <c>X-Twilio-Signature</c> header, or null when absent.</param>
    public bool IsValid(string url, IDictionary<string, string> formParameters, string? signatureHeader)
    {
        // Without a token nothing can be verified, so nothing is believed.
        // Scheme checked too: on Unix "/path" parses as an absolute file: URI.
        if (_validator is null || string.IsNullOrEmpty(signatureHeader)
            || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return false;
        }
        return _validator.Validate(url, formParameters, signatureHeader);
    }
}
