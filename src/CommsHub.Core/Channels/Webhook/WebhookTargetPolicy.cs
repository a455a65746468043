using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Channels.Webhook;

/// <param name="Error">What is wrong, in full (for operators and the log).</param>
/// <param name="TargetRefused">
/// The URL is well formed but where it leads is refused (inside the network, a metadata service, a name that
/// does not resolve). <see cref="Error"/> then tells what the host resolves to: never show it to the public,
/// who get <see cref="CannotReceiveWebhooks"/> instead.
/// </param>
public sealed record WebhookTargetCheck(bool Ok, string? NormalizedUrl, string? Error, bool TargetRefused = false)
{
    /// <summary>The one answer the public gets for any refused target: the same whatever the reason, so it maps nothing.</summary>
    public const string CannotReceiveWebhooks = "this address cannot receive webhooks.";

    /// <summary>What a public caller may be told.</summary>
    public string? PublicError => TargetRefused ? CannotReceiveWebhooks : Error;

    internal static WebhookTargetCheck Refuse(string error) => new(false, null, error);
    internal static WebhookTargetCheck RefuseTarget(string error) => new(false, null, error, TargetRefused: true);
}

/// <summary>
/// Decides whether a URL may be subscribed as a webhook. Passing here is not enough on its own: DNS can change
/// after subscription, so <see cref="WebhookHttp"/> checks every address again when it connects.
/// </summary>
public sealed class WebhookTargetPolicy(IOptions<WebhookOptions> options)
{
    public const int MaxUrlLength = 2048;

    public async Task<WebhookTargetCheck> CheckAsync(string? url, CancellationToken ct)
    {
        var allowPrivate = options.Value.AllowPrivateTargets;
        url = url?.Trim();
        if (string.IsNullOrEmpty(url))
        {
            return WebhookTargetCheck.Refuse("webhookUrl is required.");
        }
        if (url.Length > MaxUrlLength)
        {
            return WebhookTargetCheck.Refuse($"webhookUrl must be at most {MaxUrlLength} characters.");
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.IsFile)
        {
            return WebhookTargetCheck.Refuse("webhookUrl must be an absolute URL such as https://hooks.example.com/commshub.");
        }
        if (uri.Scheme != Uri.UriSchemeHttps && !(allowPrivate && uri.Scheme == Uri.UriSchemeHttp))
        {
            return WebhookTargetCheck.Refuse(allowPrivate ? "webhookUrl must use https or http." : "webhookUrl must use https.");
        }
        // Uri drops an empty user-info ("https://@host"), so look at the authority as written too.
        if (uri.UserInfo.Length > 0 || AuthorityAsWritten(url).Contains('@'))
        {
            return WebhookTargetCheck.Refuse("webhookUrl must not contain a user name or password.");
        }
        if (uri.Fragment.Length > 0)
        {
            return WebhookTargetCheck.Refuse("webhookUrl must not contain a fragment (#...): it is never sent to the server.");
        }

        // Rebuilding from the IDNA host turns look-alike forms (full-width digits, ideographic full stops)
        // into what HttpClient will actually connect to, e.g. "127。0。0。1" into the IPv4 literal 127.0.0.1.
        var normalized = new UriBuilder(uri) { Host = uri.IdnHost }.Uri;
        var normalizedUrl = normalized.AbsoluteUri;
        if (normalizedUrl.Length > MaxUrlLength)
        {
            return WebhookTargetCheck.Refuse($"webhookUrl must be at most {MaxUrlLength} characters once encoded.");
        }
        var host = normalized.IdnHost;

        if (normalized.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6)
        {
            var address = IPAddress.Parse(host);
            var reason = WebhookAddresses.WhyRefused(address, allowPrivate, out var target);
            return reason is null
                ? new WebhookTargetCheck(true, normalizedUrl, null)
                : WebhookTargetCheck.RefuseTarget($"webhookUrl points to {reason} ({target}), which is not allowed.");
        }
        if (normalized.HostNameType != UriHostNameType.Dns || LooksNumeric(host))
        {
            // A name whose last label is a number is an IP form .NET would not parse (999.1.1.1, 4294967296);
            // resolvers disagree about such names, so never send them to one.
            return WebhookTargetCheck.RefuseTarget($"webhookUrl host '{host}' is neither a valid IP address nor a host name.");
        }
        if (WebhookAddresses.IsMetadataHost(host))
        {
            return WebhookTargetCheck.RefuseTarget($"webhookUrl points to a cloud metadata service ({host}), which is not allowed.");
        }
        if (!allowPrivate && WebhookAddresses.IsLocalhostName(host))
        {
            return WebhookTargetCheck.RefuseTarget($"webhookUrl points to {WebhookAddresses.PrivateOrLoopback} ({host}), which is not allowed.");
        }

        IPAddress[] resolved;
        try
        {
            resolved = await Dns.GetHostAddressesAsync(host, ct);
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            resolved = [];
        }
        if (resolved.Length == 0)
        {
            return WebhookTargetCheck.RefuseTarget($"webhookUrl host '{host}' could not be resolved.");
        }
        // Any refused address fails the whole name: a name that mixes public and private answers is a rebinding setup.
        foreach (var address in resolved)
        {
            var reason = WebhookAddresses.WhyRefused(address, allowPrivate, out var target);
            if (reason is not null)
            {
                return WebhookTargetCheck.RefuseTarget($"webhookUrl host '{host}' resolves to {reason} ({target}), which is not allowed.");
            }
        }
        return new WebhookTargetCheck(true, normalizedUrl, null);
    }

    private static ReadOnlySpan<char> AuthorityAsWritten(string url)
    {
        var start = url.IndexOf("//", StringComparison.Ordinal);
        if (start < 0)
        {
            return [];
        }
        var authority = url.AsSpan(start + 2);
        var end = authority.IndexOfAny('/', '?', '#');
        return end < 0 ? authority : authority[..end];
    }

    private static bool LooksNumeric(string host)
    {
        var name = host.TrimEnd('.');
        var last = name[(name.LastIndexOf('.') + 1)..];
        return last.Length > 0 && (last.All(char.IsAsciiDigit)
            || (last.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && last[2..].All(char.IsAsciiHexDigit)));
    }
}
