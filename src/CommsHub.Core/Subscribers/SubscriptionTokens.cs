using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Subscribers;

public sealed class SubscriptionOptions
{
    public const string Section = "Subscriptions";

    /// <summary>How long a confirmation link stays valid.</summary>
    public TimeSpan ConfirmationTokenLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A repeated subscription request for the same address re-sends the confirmation no sooner than this.</summary>
    public TimeSpan ConfirmationResendAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>At most this many confirmation messages per address per day.</summary>
    public int MaxConfirmationsPerDay { get; set; } = 3;

    /// <summary>Public subscription requests allowed per client address per <see cref="RateLimitWindow"/>.</summary>
    public int RateLimitPermits { get; set; } = 10;
    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>What a confirmation link says: whose it is, and when it was made (its nonce).</summary>
public readonly record struct ConfirmationLink(Guid SubscriberId, DateTimeOffset IssuedAt);

/// <summary>
/// Signed, single-purpose tokens for the links CommsHub sends (Data Protection, keys shared through
/// the database). A confirmation token expires; an unsubscribe token does not, because an
/// unsubscribe link must keep working for as long as the message it came in can be read.
/// </summary>
/// <remarks>
/// A confirmation token carries the moment it was made. The confirmation consumer makes it right after
/// claiming the send (stamping <see cref="Subscriber.ConfirmationSentAt"/>), so the token of the latest
/// message is the only one not older than that stamp: every earlier link is dead once a newer one goes out,
/// with nothing more stored (see <see cref="SubscriberService.ConfirmAsync"/>).
/// </remarks>
public sealed class SubscriptionTokens(IDataProtectionProvider provider, IOptions<SubscriptionOptions> options, TimeProvider time)
{
    // v2: the payload gained the issue time; a v1 link (reusable, no nonce) no longer reads at all.
    private readonly ITimeLimitedDataProtector _confirm = provider.CreateProtector("CommsHub.Subscriptions.Confirm.v2").ToTimeLimitedDataProtector();
    private readonly IDataProtector _unsubscribe = provider.CreateProtector("CommsHub.Subscriptions.Unsubscribe.v1");

    public string ForConfirmation(Guid subscriberId)
    {
        var now = time.GetUtcNow();
        return _confirm.Protect(string.Create(CultureInfo.InvariantCulture, $"{subscriberId:N}.{now.UtcTicks}"), now + options.Value.ConfirmationTokenLifetime);
    }

    public string ForUnsubscribe(Guid subscriberId) => _unsubscribe.Protect(subscriberId.ToString("N"));

    public bool TryReadConfirmation(string? token, out ConfirmationLink link)
    {
        link = default;
        if (!TryUnprotect(token, t => _confirm.Unprotect(t, out _), out var payload))
        {
            return false;
        }
        var dot = payload.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0 || !Guid.TryParseExact(payload[..dot], "N", out var id)
            || !long.TryParse(payload[(dot + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return false;
        }
        link = new ConfirmationLink(id, new DateTimeOffset(ticks, TimeSpan.Zero));
        return true;
    }

    public bool TryReadUnsubscribe(string? token, out Guid subscriberId)
    {
        subscriberId = Guid.Empty;
        return TryUnprotect(token, _unsubscribe.Unprotect, out var payload) && Guid.TryParseExact(payload, "N", out subscriberId);
    }

    private static bool TryUnprotect(string? token, Func<string, string> unprotect, out string payload)
    {
        payload = "";
        if (string.IsNullOrWhiteSpace(token) || token.Length > 2000)
        {
            return false;
        }
        try
        {
            payload = unprotect(token);
            return true;
        }
        catch (CryptographicException)
        {
            return false; // forged, tampered, expired or made for another purpose
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
