using System.Security.Claims;
using CommsHub.Core.Auth;
using CommsHub.Core.Auth.Operators;
using Microsoft.AspNetCore.Authentication;
using CommsHub.Api.OperatorConsole.Shared;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommsHub.Api.Infrastructure;

/// <summary>
/// Cookie sessions for operators signed in at <c>/login</c>. A session carries the operator's
/// security stamp and is checked against the current one on every request (through
/// <see cref="OperatorStamps"/>' few-second cache): a session of a deleted or demoted operator, or
/// one from before a password change, stops working within seconds, in every process.
/// </summary>
internal static class OperatorSessions
{
    public static AuthenticationBuilder AddOperatorSessions(this AuthenticationBuilder authentication) =>
        authentication.AddCookie(AuthSchemes.OperatorCookie, o =>
        {
            o.Cookie.Name = "commshub_session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = TimeSpan.FromHours(12);
            o.SlidingExpiration = true;
            o.LoginPath = "/login";
            o.LogoutPath = "/logout";
            o.AccessDeniedPath = "/console";
            o.ReturnUrlParameter = "returnUrl";
            o.Events = new CookieAuthenticationEvents
            {
                OnValidatePrincipal = ValidateAsync,
                // The API answers with status codes, never a redirect to a sign-in page.
                OnRedirectToLogin = c => ApiOrRedirect(c, StatusCodes.Status401Unauthorized),
                // A console page the role does not reach answers 403 with a page saying so, never a redirect.
                OnRedirectToAccessDenied = c => c.Request.Path.StartsWithSegments("/console")
                    ? new RazorComponentResult<ForbiddenPage> { StatusCode = StatusCodes.Status403Forbidden }.ExecuteAsync(c.HttpContext)
                    : ApiOrRedirect(c, StatusCodes.Status403Forbidden),
            };
        });

    /// <summary>The session of a signed-in local operator: their scopes, audit actor, id and stamp.</summary>
    public static ClaimsPrincipal Principal(Operator op)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, op.Id.ToString()),
            new(ClaimTypes.Name, op.Name),
            new(ClaimTypes.Email, op.Email),
            new(ClaimTypes.Role, op.Role),
            new(CommsHubClaims.Actor, CommsHubClaims.OperatorActor(op.Email)),
            new(CommsHubClaims.SubjectId, op.Id.ToString()),
            new(CommsHubClaims.SecurityStamp, op.SecurityStamp),
        };
        claims.AddRange(OperatorRoles.ScopesOf(op.Role).Select(s => new Claim(CommsHubClaims.Scope, s)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, AuthSchemes.OperatorCookie, ClaimTypes.Name, ClaimTypes.Role));
    }

    /// <summary>Issues (or re-issues, after the operator's stamp changed) the session cookie; it ends with the browser session or after 12 idle hours.</summary>
    public static Task SignInAsync(HttpContext http, Operator op) =>
        http.SignInAsync(AuthSchemes.OperatorCookie, Principal(op), new AuthenticationProperties { IsPersistent = false });

    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var stamp = context.Principal?.FindFirst(CommsHubClaims.SecurityStamp)?.Value;
        if (stamp is null)
        {
            // Not a local account's session (OpenID Connect sessions carry no local stamp).
            return;
        }
        var stamps = context.HttpContext.RequestServices.GetRequiredService<OperatorStamps>();
        if (!Guid.TryParse(context.Principal!.FindFirst(CommsHubClaims.SubjectId)?.Value, out var id)
            || await stamps.CurrentAsync(id, context.HttpContext.RequestAborted) != stamp)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(AuthSchemes.OperatorCookie);
        }
    }

    private static Task ApiOrRedirect(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/api"))
        {
            context.Response.StatusCode = status;
        }
        else
        {
            context.Response.Redirect(context.RedirectUri);
        }
        return Task.CompletedTask;
    }
}
