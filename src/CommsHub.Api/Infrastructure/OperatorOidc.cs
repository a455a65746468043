using CommsHub.Core.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;

namespace CommsHub.Api.Infrastructure;

/// <summary>
/// OpenID Connect sign-in for operators when <c>Auth:Oidc:Authority</c> is set: authorization code
/// flow with PKCE, ending in the same operator cookie as a local sign-in (<see cref="AuthSchemes.OperatorCookie"/>).
/// </summary>
internal static class OperatorOidc
{
    public const string CallbackPath = "/signin-oidc";
    public const string SignedOutCallbackPath = "/signout-callback-oidc";

    /// <summary>Where a person the provider knows but who has no role is sent; the sign-in page explains it.</summary>
    public const string NoRolePath = "/login?error=no-role";

    /// <summary>Where a sign-in the provider refused or that failed on the way back is sent.</summary>
    public const string FailedPath = "/login?error=oidc";

    /// <summary>
    /// What the sign-in page says for the <c>error</c> it is sent back with (<see cref="NoRolePath"/>,
    /// <see cref="FailedPath"/>); null for anything else.
    /// </summary>
    public static string? ErrorMessage(string? error) => error switch
    {
        "no-role" => "You signed in with single sign-on, but your account has no CommsHub role. " +
            "Ask an administrator to give you the viewer, responder or admin role, then sign in again.",
        "oidc" => "Single sign-on did not complete. Try again, or sign in with your CommsHub email and password.",
        _ => null,
    };

    public static AuthenticationBuilder AddOperatorOidc(this AuthenticationBuilder authentication, IConfiguration configuration)
    {
        authentication.Services.AddOptions<OidcOptions>().BindConfiguration(OidcOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var oidc = configuration.GetSection(OidcOptions.Section).Get<OidcOptions>() ?? new OidcOptions();
        if (!oidc.Enabled)
        {
            return authentication;
        }
        return authentication.AddOpenIdConnect(AuthSchemes.Oidc, "Single sign-on", o =>
        {
            o.Authority = oidc.Authority;
            o.ClientId = oidc.ClientId;
            o.ClientSecret = string.IsNullOrEmpty(oidc.ClientSecret) ? null : oidc.ClientSecret;
            o.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
            o.SignInScheme = AuthSchemes.OperatorCookie;
            o.SignOutScheme = AuthSchemes.OperatorCookie;
            o.ResponseType = "code";
            o.UsePkce = true;
            // The code comes back on a top-level GET, so the correlation and nonce cookies can be
            // SameSite=Lax and follow the request's scheme: a form_post callback would need
            // SameSite=None, which browsers accept only on https.
            o.ResponseMode = "query";
            o.CorrelationCookie.SameSite = SameSiteMode.Lax;
            o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.NonceCookie.SameSite = SameSiteMode.Lax;
            o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Scope.Clear();
            o.Scope.Add("openid");
            o.Scope.Add("profile");
            o.Scope.Add("email");
            // Claims keep the provider's names (sub, email, roles), not WS-* URIs.
            o.MapInboundClaims = false;
            o.TokenValidationParameters.NameClaimType = "name";
            o.TokenValidationParameters.RoleClaimType = oidc.RoleClaim;
            // Only the ID token is kept (below), for the provider's sign-out; access and refresh tokens are never used.
            o.SaveTokens = false;
            o.CallbackPath = CallbackPath;
            o.SignedOutCallbackPath = SignedOutCallbackPath;
            o.SignedOutRedirectUri = OperatorSignOut.SignedOutPath;
            o.Events = new OpenIdConnectEvents
            {
                OnTokenValidated = context => TokenValidated(context, oidc.RoleClaim),
                OnRemoteFailure = context =>
                {
                    Logger(context.HttpContext).LogWarning(context.Failure, "OpenID Connect sign-in failed");
                    context.Response.Redirect(FailedPath);
                    context.HandleResponse();
                    return Task.CompletedTask;
                },
            };
        });
    }

    private static Task TokenValidated(TokenValidatedContext context, string roleClaim)
    {
        var external = context.Principal!;
        var principal = OidcOperator.ToOperator(external, roleClaim);
        if (principal is null)
        {
            Logger(context.HttpContext).LogWarning(
                "OpenID Connect sign-in refused for {Subject} ({Email}): the {RoleClaim} claim names no CommsHub role (viewer, responder, admin)",
                external.FindFirst("sub")?.Value, external.FindFirst("email")?.Value, roleClaim);
            context.Response.Redirect(NoRolePath);
            context.HandleResponse();
            return Task.CompletedTask;
        }
        context.Principal = principal;
        // The ID token is the hint the provider's end-session endpoint asks for at sign-out.
        var idToken = context.TokenEndpointResponse?.IdToken ?? context.ProtocolMessage?.IdToken;
        if (!string.IsNullOrEmpty(idToken))
        {
            context.Properties!.StoreTokens([new AuthenticationToken { Name = "id_token", Value = idToken }]);
        }
        Logger(context.HttpContext).LogInformation("Operator {Actor} signed in through OpenID Connect",
            principal.FindFirst(CommsHubClaims.Actor)?.Value);
        return Task.CompletedTask;
    }

    private static ILogger Logger(HttpContext http) =>
        http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OperatorOidc).FullName!);
}
