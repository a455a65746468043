using System.Net;
using CommsHub.Api.Website;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Subscribers.Abuse;

/// <summary>One client opening live-event streams until the server runs out: refused past its share and past the total.</summary>
public sealed class LiveEventLimitTests : SqliteAppTest
{
    protected override Dictionary<string, string?> Settings() => new()
    {
        ["StatusPage:Events:MaxPerClient"] = "2",
        ["StatusPage:Events:MaxConnections"] = "3",
    };

    protected override void ConfigureServices(IServiceCollection services) => ClientAddresses.Register(services);

    private static async Task<HttpResponseMessage> OpenAsync(HttpClient client, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/events");
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    [Fact]
    public async Task Streams_beyond_the_per_client_and_total_limits_get_429_with_Retry_After()
    {
        using var stop = new CancellationTokenSource();
        using var a = ClientAddresses.For(App, "2001:db8:5:5::1");
        using var a2 = ClientAddresses.For(App, "2001:db8:5:5::2"); // the same /64: the same client
        using var b = ClientAddresses.For(App, "192.0.2.10");
        using var c = ClientAddresses.For(App, "192.0.2.11");

        var first = await OpenAsync(a, stop.Token);
        var second = await OpenAsync(a2, stop.Token);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        // The stream tells the browser how long to wait before reconnecting.
        using var reader = new StreamReader(await first.Content.ReadAsStreamAsync(stop.Token));
        var opening = new List<string>();
        while (opening.Count < 4 && await reader.ReadLineAsync(stop.Token) is { } line)
        {
            opening.Add(line);
        }
        Assert.Contains(opening, l => l.StartsWith("retry: ", StringComparison.Ordinal));

        using (var third = await OpenAsync(a, stop.Token))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.NotNull(third.Headers.RetryAfter);
        }
        using var other = await OpenAsync(b, stop.Token);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        using (var overTotal = await OpenAsync(c, stop.Token))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, overTotal.StatusCode);
        }

        // A closed stream gives its slot back.
        var slots = App.Services.GetRequiredService<LiveEventSlots>();
        second.Dispose();
        await Eventually.HoldsAsync(() => Task.FromResult(slots.Open == 2), "the closed stream's slot is released");
        using var again = await OpenAsync(c, stop.Token);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);

        reader.Dispose();
        first.Dispose();
        await stop.CancelAsync();
    }
}
