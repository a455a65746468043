using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Channels.Webhook;

public static class WebhookHttp
{
    public const string HttpClientName = "webhooks";

    /// <summary>
    /// The named client every webhook delivery goes through, plus <see cref="WebhookTargetPolicy"/>.
    /// Binding <see cref="WebhookOptions"/> to configuration is the host's job.
    /// </summary>
    public static IServiceCollection AddWebhookHttpClient(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>();
        services.TryAddSingleton<WebhookTargetPolicy>();
        services.AddHttpClient(HttpClientName)
            .ConfigureHttpClient((sp, client) => client.Timeout = sp.GetRequiredService<IOptions<WebhookOptions>>().Value.Timeout)
            .ConfigurePrimaryHttpMessageHandler(sp => CreateHandler(sp.GetRequiredService<IOptions<WebhookOptions>>().Value));
        return services;
    }

    private static SocketsHttpHandler CreateHandler(WebhookOptions options) => new()
    {
        // A redirect would be a second, unchecked target; the subscriber sees the 3xx as the answer.
        AllowAutoRedirect = false,
        UseCookies = false,
        // Through a proxy the callback would vet the proxy's address instead of the subscriber's.
        UseProxy = false,
        ConnectTimeout = options.Timeout,
        ConnectCallback = (context, ct) => ConnectAsync(context.DnsEndPoint, options.AllowPrivateTargets, ct),
    };

    /// <summary>
    /// Resolves the host itself and connects only to an address that passes, so DNS that changed since
    /// subscription (or answers differently now: rebinding) cannot steer a delivery inside.
    /// </summary>
    internal static async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, bool allowPrivateTargets, CancellationToken ct)
    {
        var host = endPoint.Host.TrimStart('[').TrimEnd(']');
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);

        string? refusal = null;
        SocketException? connectError = null;
        foreach (var address in addresses)
        {
            var reason = WebhookAddresses.WhyRefused(address, allowPrivateTargets, out var target);
            if (reason is not null)
            {
                refusal ??= $"Refused to connect to {target}: {reason}.";
                continue;
            }
            var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(target, endPoint.Port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                // Try the next allowed address, as the default connect does (localhost is often ::1 then 127.0.0.1).
                socket.Dispose();
                connectError = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        if (connectError is not null)
        {
            ExceptionDispatchInfo.Throw(connectError);
        }
        throw new WebhookTargetRefusedException(refusal ?? $"Refused to connect to {host}: it did not resolve to any address.");
    }
}

/// <summary>The target resolved only to addresses CommsHub must not call: a permanent failure, never retried.</summary>
public sealed class WebhookTargetRefusedException(string message) : HttpRequestException(HttpRequestError.ConnectionError, message)
{
    public static bool IsIn(Exception ex) => ex is WebhookTargetRefusedException || ex.InnerException is WebhookTargetRefusedException;
}
