using System.Threading.RateLimiting;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Channels.Sms;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Subscribers;

/// <summary>
/// Public subscription requests per recipient, whatever the spelling: an allowance per mailbox (plus
/// tags dropped everywhere, and dots too where the provider ignores them), per phone number, per
/// webhook host. The stored address stays as typed; the key is used only here. Kept in this process's
/// memory, like the per-client limit: each API instance counts on its own.
/// </summary>
public sealed class AddressThrottle(IOptions<PublicSubscriptionOptions> options) : IDisposable
{
    // Providers that deliver a.b.c@ to abc@; every common provider delivers x+tag@ to x@.
    private static readonly HashSet<string> DotBlindDomains = new(StringComparer.Ordinal) { "gmail.com", "googlemail.com" };

    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.Value.AddressRateLimitPermits,
            Window = options.Value.AddressRateLimitWindow,
            QueueLimit = 0,
        }), StringComparer.Ordinal);

    /// <returns>True when the request may go on; otherwise how long until it may.</returns>
    public bool TryAcquire(string? email, string? phone, string? webhookUrl, string defaultRegion, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (KeyOf(email, phone, webhookUrl, defaultRegion) is not { } key)
        {
            return true; // not an address at all: the address check refuses it
        }
        using var lease = _limiter.AttemptAcquire(key);
        if (lease.IsAcquired)
        {
            return true;
        }
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : options.Value.AddressRateLimitWindow;
        return false;
    }

    /// <summary>The recipient a request would reach: <c>email:victim@gmail.com</c>, <c>sms:+12025550173</c>, <c>webhook:hooks.example.com</c>.</summary>
    public static string? KeyOf(string? email, string? phone, string? webhookUrl, string defaultRegion)
    {
        if (!string.IsNullOrWhiteSpace(email))
        {
            return EmailAddresses.TryNormalize(email, out var normalized) ? "email:" + Mailbox(normalized) : null;
        }
        if (!string.IsNullOrWhiteSpace(phone))
        {
            return PhoneNumberNormalizer.TryNormalize(phone, defaultRegion, out var e164, out _) ? "sms:" + e164 : null;
        }
        return Uri.TryCreate(webhookUrl?.Trim(), UriKind.Absolute, out var uri) ? "webhook:" + uri.IdnHost.ToLowerInvariant() : null;
    }

    /// <summary>The mailbox an address delivers to: <c>Vic.Tim+news@GoogleMail.com</c> → <c>victim@gmail.com</c>.</summary>
    public static string Mailbox(string address)
    {
        var at = address.LastIndexOf('@');
        if (at <= 0)
        {
            return address.ToLowerInvariant();
        }
        var local = address[..at].ToLowerInvariant();
        var domain = address[(at + 1)..].ToLowerInvariant().TrimEnd('.');
        var plus = local.IndexOf('+', StringComparison.Ordinal);
        if (plus > 0)
        {
            local = local[..plus];
        }
        if (DotBlindDomains.Contains(domain))
        {
            local = local.Replace(".", "", StringComparison.Ordinal);
            domain = "gmail.com";
        }
        return local + "@" + domain;
    }

    public void Dispose() => _limiter.Dispose();
}
