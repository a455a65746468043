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
/// Hangfire's dashboard at <c>/hangfire</c>, for admins only. Scripts use the API key as a Bearer
/// token; a browser cannot attach one to page loads, so it signs in once at <c>/hangfire/login</c>
/// with the key and gets a short-lived, HttpOnly, SameSite=Strict cookie scoped to <c>/hangfire</c>.
/// </summary>
internal static class SchedulingDashboard
{
    public const string Path = "/hangfire";
    private const string CookieScheme = "DashboardCookie";
    private const string Scheme = "Dashboard";
    private const string Policy = "dashboard";

    public static void AddSchedulingDashboard(this IServiceCollection services, AuthenticationBuilder authentication)
    {
        authentication
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = "commshub_dashboard";
                o.Cookie.Path = Path;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
                o.SlidingExpiration = true;
                o.LoginPath = Path + "/login";
                o.ReturnUrlParameter = "returnUrl";
            })
            // A request with an Authorization header is judged by the API key; any other by the cookie (and sent to log in).
            .AddPolicyScheme(Scheme, null, o => o.ForwardDefaultSelector = context =>
                string.IsNullOrEmpty(context.Request.Headers.Authorization) ? CookieScheme : AuthSchemes.ApiKey);
        services.AddAuthorizationBuilder().AddPolicy(Policy, p => p.AddAuthenticationSchemes(Scheme).RequireScope(Scopes.Admin));
    }

    public static void MapSchedulingDashboard(this WebApplication app)
    {
        app.MapGet(Path + "/login", (string? returnUrl, IOptions<CommsHubOptions> hub) => LoginPage(hub.Value, returnUrl, error: null));
        app.MapPost(Path + "/login", SignInAsync).DisableAntiforgery();
        app.MapHangfireDashboard(Path, new DashboardOptions
        {
            // No Hangfire filter: the endpoint's authorization policy decides (the default filter admits loopback only).
            Authorization = [],
            DashboardTitle = "CommsHub schedules",
            AppPath = "/",
            DisplayStorageConnectionString = false,
        }).RequireAuthorization(Policy);
    }

    private static async Task<IResult> SignInAsync(HttpContext context, ApiKeyStore keys, IOptions<CommsHubOptions> hub)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var returnUrl = form["returnUrl"].ToString();
        if (keys.Find(form["key"].ToString().Trim()) is not { } key || !Scopes.Grants(key.Scopes, Scopes.Admin))
        {
            return LoginPage(hub.Value, returnUrl, "That key is not a valid API key with the admin scope.");
        }
        keys.Touch(key);
        var identity = ApiKeyAuthenticationHandler.Identity(key, CookieScheme);
        await context.SignInAsync(CookieScheme, new ClaimsPrincipal(identity));
        return Results.Redirect(SafeReturn(returnUrl));
    }

    /// <summary>Only back into the dashboard: never an open redirect.</summary>
    private static string SafeReturn(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url.StartsWith(Path, StringComparison.Ordinal) && !url.StartsWith("//", StringComparison.Ordinal) ? url : Path;

    private static IResult LoginPage(CommsHubOptions hub, string? returnUrl, string? error)
    {
        var body = (error is null ? "" : $"<p role=\"alert\"><strong>{SitePage.Encode(error)}</strong></p>")
                   + "<p>The schedule dashboard is for administrators. Sign in with an admin API key.</p>"
                   + $"<form method=\"post\" action=\"{Path}/login\">"
                   + $"<input type=\"hidden\" name=\"returnUrl\" value=\"{SitePage.Encode(SafeReturn(returnUrl))}\">"
                   + "<p><label for=\"key\">Admin API key</label><br><input id=\"key\" name=\"key\" type=\"password\" autocomplete=\"current-password\" required style=\"width:100%;padding:8px\"></p>"
                   + "<p><button type=\"submit\">Sign in</button></p></form>";
        return SitePage.Render(hub.PageName, hub.Link("/"), error is null ? StatusCodes.Status200OK : StatusCodes.Status401Unauthorized,
            "Schedule dashboard", "🗓️", body);
    }
}
