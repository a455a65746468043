using System.Net;
using System.Net.Sockets;
using CommsHub.Core.Channels.Webhook;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Webhooks;

public sealed class WebhookHttpTests
{
    [Fact]
    public async Task Loopback_targets_are_refused_at_connect_time_and_never_reached()
    {
        // Nothing accepts on this listener, so any connection that got through would wait in its backlog.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var services = Services(allowPrivateTargets: false);
            var client = Client(services);

            var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri($"http://localhost:{port}/")));

            // Whichever of 127.0.0.1 and ::1 this machine lists first for localhost.
            Assert.Matches(@"Refused to connect to (127\.0\.0\.1|::1): a private or loopback address\.", error.Message);
            Assert.False(listener.Pending());
        }
        finally
        {
            listener.Stop();
        }
    }

    [Theory]
    [InlineData("http://127.0.0.1:{0}/", "127.0.0.1: a private or loopback address")]
    [InlineData("http://[::ffff:127.0.0.1]:{0}/", "127.0.0.1: a private or loopback address")]
    [InlineData("http://0x7f.1:{0}/", "127.0.0.1: a private or loopback address")]
    [InlineData("http://2130706433:{0}/", "127.0.0.1: a private or loopback address")]
    [InlineData("http://[::1]:{0}/", "::1: a private or loopback address")]
    [InlineData("http://0.0.0.0:{0}/", "0.0.0.0: an unspecified address")]
    public async Task Every_form_of_a_non_public_address_is_refused_at_connect_time(string url, string refusal)
    {
        await using var server = new LoopbackHttpServer();
        using var services = Services(allowPrivateTargets: false);

        var error = await Assert.ThrowsAsync<HttpRequestException>(
            () => Client(services).GetAsync(new Uri(string.Format(url, server.Port))));

        Assert.Contains($"Refused to connect to {refusal}.", error.Message);
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task Loopback_targets_are_reached_when_private_targets_are_allowed()
    {
        await using var server = new LoopbackHttpServer();
        using var services = Services(allowPrivateTargets: true);

        using var response = await Client(services).GetAsync(new Uri($"http://localhost:{server.Port}/"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello", await response.Content.ReadAsStringAsync());
        Assert.Equal(["GET / HTTP/1.1"], server.RequestLines);
    }

    [Fact]
    public async Task Redirects_are_returned_and_never_followed()
    {
        await using var server = new LoopbackHttpServer();
        using var services = Services(allowPrivateTargets: true);

        using var response = await Client(services).PostAsync(new Uri($"http://localhost:{server.Port}/redirect"), new StringContent("{}"));

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(new Uri($"http://127.0.0.1:{server.Port}/target"), response.Headers.Location);
        Assert.Equal(["POST /redirect HTTP/1.1"], server.RequestLines);
    }

    [Fact]
    public async Task Cloud_metadata_is_refused_at_connect_time_even_when_private_targets_are_allowed()
    {
        // Refused before any socket is opened, so this never leaves the machine.
        using var services = Services(allowPrivateTargets: true);

        var error = await Assert.ThrowsAsync<HttpRequestException>(
            () => Client(services).GetAsync(new Uri("http://169.254.169.254/latest/meta-data/")));

        Assert.Contains("Refused to connect to 169.254.169.254: a cloud metadata service address.", error.Message);
    }

    [Fact]
    public void The_client_uses_the_configured_timeout_and_a_handler_that_never_redirects_proxies_or_keeps_cookies()
    {
        using var services = Services(allowPrivateTargets: false, timeout: TimeSpan.FromSeconds(7));

        var client = Client(services);
        var handler = services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(WebhookHttp.HttpClientName);
        while (handler is DelegatingHandler delegating)
        {
            handler = delegating.InnerHandler!;
        }

        Assert.Equal(TimeSpan.FromSeconds(7), client.Timeout);
        var primary = Assert.IsType<SocketsHttpHandler>(handler);
        Assert.False(primary.AllowAutoRedirect);
        Assert.False(primary.UseCookies);
        Assert.False(primary.UseProxy);
        Assert.NotNull(primary.ConnectCallback);
    }

    [Fact]
    public void The_target_policy_is_registered_once_as_a_singleton()
    {
        using var services = Services(allowPrivateTargets: false);

        Assert.Same(services.GetRequiredService<WebhookTargetPolicy>(), services.GetRequiredService<WebhookTargetPolicy>());
    }

    private static ServiceProvider Services(bool allowPrivateTargets, TimeSpan? timeout = null)
    {
        var services = new ServiceCollection();
        services.AddWebhookHttpClient();
        services.Configure<WebhookOptions>(o =>
        {
            o.AllowPrivateTargets = allowPrivateTargets;
            o.Timeout = timeout ?? TimeSpan.FromSeconds(10);
        });
        return services.BuildServiceProvider();
    }

    private static HttpClient Client(ServiceProvider services) =>
        services.GetRequiredService<IHttpClientFactory>().CreateClient(WebhookHttp.HttpClientName);
}
