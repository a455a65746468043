using System.Security.Claims;
using CommsHub.Core.Auth;
using CommsHub.Core.Data;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Api.Infrastructure;

/// <summary>
/// A dashboard cookie lives for hours, longer than a key may: on every dashboard request the key it
/// was issued for is looked up again, so revoking the key (or removing it from the configuration,
/// or letting it expire, or configuring keys after signing in with the generated one) ends the
/// session at once. The cookie names the key by its SHA-256 hash, as the database does, never by the key.
/// </summary>
internal static class DashboardSessions
{
    /// <summary>The hash of the key the session was opened with; the cookie is encrypted and signed, so a client can neither read nor change it.</summary>
    public const string KeyHashClaim = "commshub:dashboard-key";

    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        if (context.Principal is not { } principal || !await StillAdminAsync(principal, context.HttpContext.RequestServices, context.HttpContext.RequestAborted))
        {
            context.RejectPrincipal();
        }
    }

    private static async Task<bool> StillAdminAsync(ClaimsPrincipal principal, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (principal.FindFirstValue(KeyHashClaim) is not { Length: > 0 } hash)
        {
            return false;
        }
        var configured = services.GetRequiredService<IConfiguration>().GetSection("Auth:AdminApiKeys").GetChildren()
            .Select(c => c.Value?.Trim()).Where(v => !string.IsNullOrEmpty(v)).Select(v => ApiKeyStore.Hash(v!)).ToList();
        if (configured.Contains(hash, StringComparer.Ordinal))
        {
            return true;
        }
        var db = services.GetRequiredService<CommsHubDbContext>();
        var key = await db.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Hash == hash, cancellationToken);
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        return key is { RevokedAt: null }
               && (key.ExpiresAt is not { } expires || expires > now)
               && !(key.Generated && configured.Count > 0)
               && Scopes.Grants(key.Scopes, Scopes.Admin);
    }
}
