namespace CommsHub.Api.Infrastructure;

/// <summary>The HTTP surface's defences, registered and placed from <c>Program</c> in one line each.</summary>
internal static class HttpHardening
{
    public static IServiceCollection AddHttpHardening(this IServiceCollection services) =>
        services.AddReverseProxies().AddAuthFailureThrottle();

    /// <summary>First in the pipeline: everything after it sees the real client, and every response gets its headers.</summary>
    public static IApplicationBuilder UseHttpHardening(this WebApplication app)
    {
        app.UseReverseProxies();
        // A sign-in form may hand over to the OpenID Connect provider: the one other origin a form may lead to.
        var formTargets = Uri.TryCreate(app.Configuration["Auth:Oidc:Authority"], UriKind.Absolute, out var authority)
            ? [authority.GetLeftPart(UriPartial.Authority)]
            : Array.Empty<string>();
        return app.UseSecurityHeaders(formTargets);
    }
}
