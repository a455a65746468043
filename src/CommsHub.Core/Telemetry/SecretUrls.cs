using System.Diagnostics;
using CommsHub.Core.Channels.Chat;
using CommsHub.Core.Channels.Resilience;
using CommsHub.Core.Channels.Webhook;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Core.Telemetry;

/// <summary>
/// Subscribers' webhook URLs are personal data and chat webhook URLs are credentials: neither may reach a
/// trace backend. Requests of those clients are marked, and their HTTP spans keep only the origin.
/// </summary>
internal static class SecretUrls
{
    private static readonly HttpRequestOptionsKey<bool> Secret = new("commshub.secret-url");

    public static IServiceCollection MarkSecretUrls(this IServiceCollection services)
    {
        services.AddHttpClient(WebhookHttp.HttpClientName).AddHttpMessageHandler(() => new Marker());
        services.AddHttpClient(ChatSetup.HttpClientName).AddHttpMessageHandler(() => new Marker());
        return services;
    }

    public static void Redact(Activity activity, HttpRequestMessage request)
    {
        if (request.Options.TryGetValue(Secret, out var secret) && secret && request.RequestUri is { } uri)
        {
            activity.SetTag("url.full", TargetCircuits.Origin(uri));
            activity.SetTag("url.path", null);
            activity.SetTag("url.query", null);
        }
    }

    private sealed class Marker : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Options.Set(Secret, true);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
