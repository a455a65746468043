using System.Security.Claims;
using CommsHub.Core.Auth;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace CommsHub.Api.Infrastructure;

/// <summary>
/// A dashboard cookie lives for hours, longer than a key may: on every dashboard request the key it
/// was issued for is looked up again, so revoking the key (or removing it from the configuration,
/// or letting it expire, or configuring keys after signing in with the generated one) ends the
/// session (within the store's refresh, at most a few seconds, for a revocation made by another process).
/// The cookie names the key by its SHA-256 hash, as the database does, never by the key.
/// </summary>
internal static class DashboardSessions
{
    /// <summary>The hash of the key the session was opened with; the cookie is encrypted and signed, so a client can neither read nor change it.</summary>
    public const string KeyHashClaim = "commshub:dashboard-key";

    public static Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        if (context.Principal is not { } principal || !StillAdmin(principal, context.HttpContext.RequestServices))
        {
            context.RejectPrincipal();
        }
        return Task.CompletedTask;
    }

    /// <summary>Through the key store, as a Bearer key is: revoked, expired or no longer admin ends the session.</summary>
    private static bool StillAdmin(ClaimsPrincipal principal, IServiceProvider services) =>
        principal.FindFirstValue(KeyHashClaim) is { Length: > 0 } hash
        && services.GetRequiredService<ApiKeyStore>().FindByHash(hash) is { } key
        && Scopes.Grants(key.Scopes, Scopes.Admin);
}
