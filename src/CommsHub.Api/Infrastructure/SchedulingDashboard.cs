using System.Globalization;
using System.Security.Claims;
using CommsHub.Api.Website;
using CommsHub.Core.Auth;
using CommsHub.Core.Hosting;
using Hangfire;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace CommsHub.Api.Infrastructure;

/// <summary>
/// Hangfire's dashboard at <c>/hangfire</c>, for the <c>admin</c> scope only. Scripts use an admin
/// API key as a Bearer token; a signed-in admin operator's session opens it too; a browser without
/// one signs in once at <c>/hangfire/login</c> with the key and gets a short-lived, HttpOnly,
/// SameSite=Strict cookie scoped to <c>/hangfire</c>, re-checked on every request (<see cref="DashboardSessions"/>).
/// Wrong keys at the sign-in count towards the client's <see cref="AuthFailureThrottle"/>.
/// </summary>
internal static class SchedulingDashboard
{
    public const string Path = "/hangfire";
    public const string LoginPath = Path + "/login";
    public const string CookieName = "commshub_dashboard";
    private const string CookieScheme = "DashboardCookie";
    private const string Scheme = "Dashboard";
    private const string Policy = "dashboard";

    public static void AddSchedulingDashboard(this IServiceCollection services, AuthenticationBuilder authentication)
    {
        authentication
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.Path = Path;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
                o.SlidingExpiration = true;
                o.LoginPath = LoginPath;
                o.ReturnUrlParameter = "returnUrl";
                o.Events.OnValidatePrincipal = DashboardSessions.ValidateAsync;
                o.Events.OnRedirectToAccessDenied = c =>
                {
                    c.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                };
            })
            // A request with an Authorization header is judged by the API key; a dashboard cookie by
            // itself; else an operator's session, if any (that scheme checks its own); else sent to log in.
            .AddPolicyScheme(Scheme, null, o => o.ForwardDefaultSelector = context =>
                !string.IsNullOrEmpty(context.Request.Headers.Authorization) ? AuthSchemes.ApiKey
                : context.Request.Cookies.ContainsKey(CookieName) ? CookieScheme
                : context.Request.Cookies.ContainsKey(OperatorCookieName(context)) ? AuthSchemes.OperatorCookie
                : CookieScheme);
        services.AddAuthorizationBuilder().AddPolicy(Policy, p => p.AddAuthenticationSchemes(Scheme).RequireScope(Scopes.Admin));
    }

    private static string OperatorCookieName(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(AuthSchemes.OperatorCookie).Cookie.Name ?? "";

    public static void MapSchedulingDashboard(this WebApplication app)
    {
        app.MapGet(LoginPath, (string? returnUrl, IOptions<CommsHubOptions> hub) => LoginPage(hub.Value, returnUrl, error: null, StatusCodes.Status200OK));
        app.MapPost(LoginPath, SignInAsync).DisableAntiforgery();
        app.MapHangfireDashboard(Path, new DashboardOptions
        {
            // No Hangfire filter: the endpoint's authorization policy decides (the default filter admits loopback only).
            Authorization = [],
            DashboardTitle = "CommsHub schedules",
            AppPath = "/",
            DisplayStorageConnectionString = false,
        }).RequireAuthorization(Policy);
    }

    private static async Task<IResult> SignInAsync(HttpContext context, ApiKeyStore keys, AuthFailureThrottle throttle, IOptions<CommsHubOptions> hub)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var returnUrl = form["returnUrl"].ToString();
        // Refused before the key is looked at: a blocked client learns nothing from trying.
        if (throttle.IsBlocked(context, out var retryAfter))
        {
            var seconds = AuthFailureThrottling.Seconds(retryAfter);
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return LoginPage(hub.Value, returnUrl, $"Too many failed sign-ins from this address. Try again in {seconds} s.", StatusCodes.Status429TooManyRequests);
        }
        var presented = form["key"].ToString().Trim();
        if (keys.Find(presented) is not { } key)
        {
            throttle.RecordFailure(context);
            return LoginPage(hub.Value, returnUrl, "That key is not a valid admin API key.", StatusCodes.Status401Unauthorized);
        }
        throttle.RecordSuccess(context);
        if (!Scopes.Grants(key.Scopes, Scopes.Admin))
        {
            return LoginPage(hub.Value, returnUrl, "That key does not have the admin scope.", StatusCodes.Status403Forbidden);
        }
        keys.Touch(key);
        var identity = ApiKeyAuthenticationHandler.Identity(key, CookieScheme);
        identity.AddClaim(new Claim(DashboardSessions.KeyHashClaim, ApiKeyStore.Hash(presented)));
        await context.SignInAsync(CookieScheme, new ClaimsPrincipal(identity));
        return Results.Redirect(SafeReturn(returnUrl));
    }

    /// <summary>Only back into the dashboard: never an open redirect.</summary>
    private static string SafeReturn(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url.StartsWith(Path, StringComparison.Ordinal) && !url.StartsWith("//", StringComparison.Ordinal) ? url : Path;

    private static IResult LoginPage(CommsHubOptions hub, string? returnUrl, string? error, int status)
    {
        var body = (error is null ? "" : $"<p role=\"alert\"><strong>{SitePage.Encode(error)}</strong></p>")
                   + "<p>The schedule dashboard is for administrators. Sign in with an admin API key.</p>"
                   + $"<form method=\"post\" action=\"{LoginPath}\">"
                   + $"<input type=\"hidden\" name=\"returnUrl\" value=\"{SitePage.Encode(SafeReturn(returnUrl))}\">"
                   + "<p><label for=\"key\">Admin API key</label><br><input id=\"key\" name=\"key\" type=\"password\" autocomplete=\"current-password\" required style=\"width:100%;padding:8px\"></p>"
                   + "<p><button type=\"submit\">Sign in</button></p></form>";
        return SitePage.Render(hub.PageName, hub.Link("/"), status, "Schedule dashboard", "🗓️", body);
    }
}
