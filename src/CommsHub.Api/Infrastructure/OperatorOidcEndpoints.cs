using Microsoft.AspNetCore.Authentication;

namespace CommsHub.Api.Infrastructure;

/// <summary>
/// <c>GET /login/oidc?returnUrl=</c> starts OpenID Connect sign-in; <c>POST /logout/oidc</c> ends the
/// session at CommsHub and, for an OIDC session, at the provider. No GET: a link or an image on
/// another site must not sign anyone out.
/// The callbacks (<c>/signin-oidc</c>, <c>/signout-callback-oidc</c>) are the handler's own.
/// </summary>
internal static class OperatorOidcEndpoints
{
    private const string DefaultReturnUrl = "/console";

    public static void MapOperatorOidc(this IEndpointRouteBuilder app)
    {
        app.MapGet("/login/oidc", StartAsync).AllowAnonymous().ExcludeFromDescription();
        // No token to check: a cross-site POST arrives without the SameSite=Lax session, and signs nobody out.
        app.MapPost("/logout/oidc", SignOutAsync).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
    }

    private static async Task<IResult> StartAsync(string? returnUrl, IAuthenticationSchemeProvider schemes)
    {
        if (await schemes.GetSchemeAsync(AuthSchemes.Oidc) is null)
        {
            return TypedResults.NotFound();
        }
        return TypedResults.Challenge(new AuthenticationProperties { RedirectUri = LocalUrl(returnUrl) }, [AuthSchemes.Oidc]);
    }

    private static async Task SignOutAsync(HttpContext http) => await http.SignOutOperatorAsync();

    /// <summary>Only a path on this site: an absolute or protocol-relative URL would make sign-in an open redirect.</summary>
    internal static string LocalUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) && !url.Any(char.IsControl)
            ? url
            : DefaultReturnUrl;
}
