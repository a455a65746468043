using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace CommsHub.Api.Infrastructure;

/// <summary>Ends an operator's session, however they signed in.</summary>
internal static class OperatorSignOut
{
    /// <summary>The sign-in page, saying "You are signed out".</summary>
    public const string SignedOutPath = "/login?notice=signed-out";

    /// <summary>
    /// Signs out of the operator cookie and, for a session that came from OpenID Connect, of the
    /// provider too (RP-initiated logout: the provider ends its own session and sends the browser
    /// back through <c>/signout-callback-oidc</c> to <paramref name="redirectUri"/>). Either way the
    /// response is left as a redirect to <paramref name="redirectUri"/> (a local path) or the provider.
    /// A provider without an end-session endpoint (Google) or unreachable ends only our session.
    /// </summary>
    public static async Task SignOutOperatorAsync(this HttpContext http, string redirectUri = SignedOutPath)
    {
        var session = await http.AuthenticateAsync(AuthSchemes.OperatorCookie);
        if (!session.Succeeded)
        {
            // Also what a cross-site POST sees (the SameSite=Lax cookie stays behind): another site cannot sign anyone out.
            http.Response.Redirect(redirectUri);
            return;
        }
        await http.SignOutAsync(AuthSchemes.OperatorCookie);
        if (OidcOperator.IsOidcSession(session.Principal) && await ProviderEndsSessionsAsync(http))
        {
            await http.SignOutAsync(AuthSchemes.Oidc, new AuthenticationProperties { RedirectUri = redirectUri });
            return;
        }
        http.Response.Redirect(redirectUri);
    }

    private static async Task<bool> ProviderEndsSessionsAsync(HttpContext http)
    {
        if (await http.RequestServices.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(AuthSchemes.Oidc) is null)
        {
            return false;
        }
        var options = http.RequestServices.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(AuthSchemes.Oidc);
        try
        {
            var configuration = await options.ConfigurationManager!.GetConfigurationAsync(http.RequestAborted);
            return !string.IsNullOrEmpty(configuration.EndSessionEndpoint);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or HttpRequestException)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OperatorSignOut).FullName!)
                .LogWarning(ex, "The OpenID Connect provider could not be reached: signed out of CommsHub only");
            return false;
        }
    }
}
