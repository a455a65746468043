using CommsHub.Api.OperatorConsole.Incidents;
using CommsHub.Api.OperatorConsole.Pages.Campaigns;
using CommsHub.Api.OperatorConsole.Pages.Compose;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommsHub.Api.OperatorConsole;

/// <summary>
/// The operator console: Razor components rendered on the server, enhanced by one script
/// (<see cref="ConsoleScript"/>), with antiforgery on every form. The sign-in pages are its first pages.
/// </summary>
internal static class ConsoleSetup
{
    public static IServiceCollection AddOperatorConsole(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddConsolePolicies();
        services.AddIncidentConsole();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "commshub_antiforgery";
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        return services;
    }

    /// <summary>
    /// <c>/login</c>, <c>/logout</c>, <c>/invitation</c>, <c>/forgot-password</c>, <c>/reset-password</c>,
    /// <c>/account/two-factor</c> and <c>/console/…</c> (every console path needs a session and
    /// sends a visitor without one to <c>/login</c>).
    /// </summary>
    public static IEndpointRouteBuilder MapOperatorConsole(this IEndpointRouteBuilder app)
    {
        app.MapGet(ConsoleStyles.Path, (HttpContext http) =>
        {
            http.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Text(ConsoleStyles.Css, "text/css; charset=utf-8");
        }).ExcludeFromDescription();
        app.MapConsoleScript();
        Pages.Records.RecordExports.MapRecordExports(app);
        app.MapIncidentConsole();
        app.MapCampaignConsole();
        app.MapComposePreview();
        // Without a session this is never reached: /login comes first, so no path is confirmed or denied to a stranger.
        app.MapGet("/console/{**path}", () => new RazorComponentResult<Shared.NotFoundPage> { StatusCode = StatusCodes.Status404NotFound })
            .RequireAuthorization(ConsolePolicies.Read).ExcludeFromDescription();
        app.MapRazorComponents<App>();
        return app;
    }
}
