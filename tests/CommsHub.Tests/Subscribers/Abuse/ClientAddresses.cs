using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Subscribers.Abuse;

/// <summary>
/// The test server has no network peer: this puts the address named in <see cref="Header"/> where
/// Kestrel would put the peer's, before anything in the product runs, so a test can be many clients.
/// </summary>
public sealed class ClientAddresses : IStartupFilter
{
    public const string Header = "X-Test-Client-Address";

    public static void Register(IServiceCollection services) => services.AddSingleton<IStartupFilter, ClientAddresses>();

    public static HttpClient For(Testing.CommsHubApp app, string address)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add(Header, address);
        return client;
    }

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((http, nextMiddleware) =>
        {
            if (http.Request.Headers.TryGetValue(Header, out var value) && IPAddress.TryParse(value, out var address))
            {
                http.Connection.RemoteIpAddress = address;
            }
            return nextMiddleware(http);
        });
        next(app);
    };
}
