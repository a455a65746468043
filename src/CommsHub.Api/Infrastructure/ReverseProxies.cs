using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace CommsHub.Api.Infrastructure;

/// <summary>
/// Behind a TLS-terminating reverse proxy, the client's address and scheme arrive in
/// <c>X-Forwarded-*</c> headers. Believed only from the configured proxies, and applied first, so
/// the rate limits and the failed sign-in throttle see the real client and cookies keep Secure.
/// </summary>
internal static class ReverseProxies
{
    public static IServiceCollection AddReverseProxies(this IServiceCollection services)
    {
        services.AddOptions<ReverseProxyOptions>().BindConfiguration(ReverseProxyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ReverseProxyOptions>>((o, proxies) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            // The framework trusts loopback by default; here only what the operator named.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in proxies.Value.Proxies())
            {
                o.KnownProxies.Add(proxy);
            }
            foreach (var network in proxies.Value.Networks())
            {
                o.KnownIPNetworks.Add(network);
            }
            // Walk back through a chain of known proxies (CDN, then load balancer) to the first address that is not one.
            o.ForwardLimit = null;
        });
        return services;
    }

    public static IApplicationBuilder UseReverseProxies(this IApplicationBuilder app)
    {
        // With no proxy configured the middleware would believe every client: leave it out.
        return app.ApplicationServices.GetRequiredService<IOptions<ReverseProxyOptions>>().Value.Any ? app.UseForwardedHeaders() : app;
    }
}
