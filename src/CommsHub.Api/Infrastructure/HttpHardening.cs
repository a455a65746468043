using CommsHub.Core.Subscribers;
using Microsoft.Extensions.Options;

namespace CommsHub.Api.Infrastructure;

/// <summary>The HTTP surface's defences, registered and placed from <c>Program</c> in one line each.</summary>
internal static class HttpHardening
{
    public static IServiceCollection AddHttpHardening(this IServiceCollection services) =>
        services.AddReverseProxies().AddAuthFailureThrottle().AddLiveEventLimits();

    private static IServiceCollection AddLiveEventLimits(this IServiceCollection services)
    {
        services.AddOptions<Website.LiveEventOptions>().BindConfiguration(Website.LiveEventOptions.Section)
            .Validate(o => o.MaxPerClient >= 1 && o.MaxConnections >= 1, "StatusPage:Events:MaxPerClient and :MaxConnections must be at least 1.")
            .ValidateOnStart();
        return services.AddSingleton<Website.LiveEventSlots>();
    }

    /// <summary>First in the pipeline: everything after it sees the real client, and every response gets its headers.</summary>
    public static IApplicationBuilder UseHttpHardening(this WebApplication app)
    {
        app.UseReverseProxies();
        // A sign-in form may hand over to the OpenID Connect provider: the one other origin a form may lead to.
        var formTargets = Uri.TryCreate(app.Configuration["Auth:Oidc:Authority"], UriKind.Absolute, out var authority)
            ? [authority.GetLeftPart(UriPartial.Authority)]
            : Array.Empty<string>();
        // A configured CAPTCHA's widget is the one script the pages load from another origin.
        var captcha = app.Services.GetRequiredService<IOptions<PublicSubscriptionOptions>>().Value.Captcha;
        app.UseSecurityHeaders(formTargets, captcha.Enabled ? captcha.WidgetOrigins : []);
        return app.UsePublicBodyLimit();
    }
}
