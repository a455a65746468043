namespace CommsHub.Api.Infrastructure;

/// <summary>
/// Headers on every response. Every response gets <c>nosniff</c> and a Referrer-Policy; an HTML
/// page also gets a Content-Security-Policy that allows no inline script and no framing, so a page
/// with a one-click action (unsubscribe) cannot be overlaid by another site, and injected markup
/// cannot run script. The JSON API, the feeds and <c>/embed.js</c> need no CSP: a CSP governs
/// documents, and those are read by other sites' scripts (CORS) or by feed readers.
/// </summary>
internal static class SecurityHeaders
{
    /// <summary>The pages: scripts only from files of this origin; inline styles are allowed (the pages carry their own).</summary>
    public const string PagePolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; connect-src 'self'; "
        + "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

    /// <summary>Hangfire's dashboard writes inline scripts we cannot change: allowed there, and there only, still never framed.</summary>
    public const string DashboardPolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        + "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

    /// <summary>
    /// The API reference (<c>/docs/api</c>): Scalar starts from an inline script it writes itself, so inline scripts are
    /// allowed there, and there only. Its script and the document come from this origin; nothing from another host.
    /// </summary>
    public const string ApiReferencePolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        + "font-src 'self' data:; worker-src 'self' blob:; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

    public const string PermissionsPolicy = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

    /// <param name="formTargets">Other origins a page's form may lead to (the OpenID Connect provider a sign-in form redirects to).</param>
    /// <param name="widgetOrigins">Origins of a configured CAPTCHA widget: its script, frame, calls and styles come from there.</param>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app, IReadOnlyList<string> formTargets, IReadOnlyList<string>? widgetOrigins = null)
    {
        var pagePolicy = WithWidget(WithFormTargets(PagePolicy, formTargets), widgetOrigins ?? []);
        var dashboardPolicy = WithFormTargets(DashboardPolicy, formTargets);
        return app.Use((context, next) =>
        {
            // Decided now: Hangfire rewrites the path while it serves the dashboard.
            var path = context.Request.Path;
            var policy = path.StartsWithSegments(SchedulingDashboard.Path) && !path.StartsWithSegments(SchedulingDashboard.LoginPath) ? dashboardPolicy
                : path.StartsWithSegments(Observability.ObservabilitySetup.ApiReferencePath) ? ApiReferencePolicy
                : pagePolicy;
            var referrer = CarriesToken(context.Request) ? "no-referrer" : "strict-origin-when-cross-origin";
            context.Response.OnStarting(() =>
            {
                Apply(context.Response, policy, referrer);
                return Task.CompletedTask;
            });
            return next(context);
        });
    }

    private static void Apply(HttpResponse response, string policy, string referrer)
    {
        var headers = response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = referrer;
        if (response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) != true)
        {
            return;
        }
        headers.ContentSecurityPolicy = policy;
        headers.XFrameOptions = "DENY";
        headers["Permissions-Policy"] = PermissionsPolicy;
    }

    /// <summary>
    /// A page reached through a secret link (confirm, unsubscribe, a password reset) sends no
    /// Referer at all: the link's token must not reach whatever site the page links to.
    /// </summary>
    private static bool CarriesToken(HttpRequest request) =>
        request.Query.ContainsKey("token") || request.Path.StartsWithSegments("/subscriptions");

    private static string WithWidget(string policy, IReadOnlyList<string> origins)
    {
        if (origins.Count == 0)
        {
            return policy;
        }
        var list = string.Join(' ', origins);
        return policy.Replace("script-src 'self'", $"script-src 'self' {list}", StringComparison.Ordinal)
            .Replace("style-src 'self'", $"style-src 'self' {list}", StringComparison.Ordinal)
            .Replace("connect-src 'self'", $"connect-src 'self' {list}", StringComparison.Ordinal)
            .Replace("object-src 'none'", $"frame-src {list}; object-src 'none'", StringComparison.Ordinal);
    }

    private static string WithFormTargets(string policy, IReadOnlyList<string> origins) =>
        origins.Count == 0 ? policy : policy.Replace("form-action 'self'", "form-action 'self' " + string.Join(' ', origins), StringComparison.Ordinal);
}
