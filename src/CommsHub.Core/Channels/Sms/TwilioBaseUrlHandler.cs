using Microsoft.Extensions.Options;

namespace CommsHub.Core.Channels.Sms;

/// <summary>
/// Points the Twilio SDK at <c>Channels:Sms:Twilio:BaseUrl</c>. twilio-csharp 8 has no base-URL
/// setting: <c>Twilio.Http.Request</c> hard-codes <c>"https://" + domain + ".twilio.com" + path</c>,
/// and its Region/Edge options only rename the host inside twilio.com. So this handler, in the
/// "twilio" HttpClient's pipeline, moves every request for a twilio.com host onto BaseUrl, keeping
/// the path and query (after BaseUrl's own path, if it has one).
/// </summary>
public sealed class TwilioBaseUrlHandler(IOptions<SmsOptions> options) : DelegatingHandler
{
    public const string TwilioOrigin = "https://api.twilio.com";

    private readonly Uri? _baseUrl = Redirect(options.Value.Twilio.BaseUrl);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_baseUrl is not null && request.RequestUri is { } uri && IsTwilioHost(uri.Host))
        {
            request.RequestUri = Rewrite(uri, _baseUrl);
        }
        return base.SendAsync(request, cancellationToken);
    }

    internal static Uri Rewrite(Uri uri, Uri baseUrl) => new UriBuilder(uri)
    {
        Scheme = baseUrl.Scheme,
        Host = baseUrl.Host,
        Port = baseUrl.Port,
        Path = baseUrl.AbsolutePath.TrimEnd('/') + uri.AbsolutePath,
    }.Uri;

    // Every twilio.com host, not just api.: with BaseUrl pointing elsewhere, no request (and so no
    // credential) may reach real Twilio, whichever subdomain a future SDK call uses.
    private static bool IsTwilioHost(string host) =>
        host.Equals("twilio.com", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".twilio.com", StringComparison.OrdinalIgnoreCase);

    // Null when BaseUrl is Twilio itself (or unusable: options validation has refused that already).
    private static Uri? Redirect(string baseUrl) =>
        Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri)
        && !uri.GetLeftPart(UriPartial.Path).TrimEnd('/').Equals(TwilioOrigin, StringComparison.OrdinalIgnoreCase)
            ? uri
            : null;
}
