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

/// <summary>
/// Signed, single-purpose tokens for the links CommsHub sends (Data Protection, keys shared through
/// the database). A confirmation token expires; an unsubscribe token does not, because an
/// unsubscribe link must keep working for as long as the message it came in can be read.
/// </summary>
public sealed class SubscriptionTokens(IDataProtectionProvider provider, IOptions<SubscriptionOptions> options, TimeProvider time)
{
    private readonly ITimeLimitedDataProtector _confirm = provider.CreateProtector("CommsHub.Subscriptions.Confirm.v1").ToTimeLimitedDataProtector();
    private readonly IDataProtector _unsubscribe = provider.CreateProtector("CommsHub.Subscriptions.Unsubscribe.v1");

    public string ForConfirmation(Guid subscriberId) =>
        _confirm.Protect(subscriberId.ToString("N"), time.GetUtcNow() + options.Value.ConfirmationTokenLifetime);

    public string ForUnsubscribe(Guid subscriberId) => _unsubscribe.Protect(subscriberId.ToString("N"));

    public bool TryReadConfirmation(string? token, out Guid subscriberId) =>
        TryRead(token, t => _confirm.Unprotect(t, out _), out subscriberId);

    public bool TryReadUnsubscribe(string? token, out Guid subscriberId) =>
        TryRead(token, _unsubscribe.Unprotect, out subscriberId);

    private static bool TryRead(string? token, Func<string, string> unprotect, out Guid subscriberId)
    {
        subscriberId = Guid.Empty;
        if (string.IsNullOrWhiteSpace(token) || token.Length > 2000)
        {
            return false;
        }
        try
        {
            return Guid.TryParseExact(unprotect(token), "N", out subscriberId);
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
