using System.Net;
using System.Net.Http.Json;
using System.Text;
using CommsHub.Core.Subscribers;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Subscribers.Abuse;

/// <summary>Email bombing, address rotation and oversized bodies, tried as an attacker would, with sandboxed email.</summary>
public sealed class FloodingTests : SqliteAppTest
{
    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Subscriptions:RateLimitPermits"] = "3",
    };

    protected override void ConfigureServices(IServiceCollection services) => ClientAddresses.Register(services);

    private Task<int> SubscribersAsync() => WithDbAsync(db => db.Subscribers.CountAsync());

    private Task<int> ConfirmationsQueuedAsync() => WithDbAsync(db => db.Subscribers.CountAsync(s => s.ConfirmationRequestedAt != null));

    [Fact]
    public async Task Six_plus_tagged_addresses_of_one_mailbox_do_not_send_six_confirmations()
    {
        var statuses = new List<HttpStatusCode>();
        for (var n = 1; n <= 6; n++)
        {
            // A fresh client address each time: the per-client limit must not be what stops it.
            using var attacker = ClientAddresses.For(App, $"198.51.100.{n}");
            using var response = await attacker.PostAsJsonAsync("/api/public/subscriptions", new { email = $"victim+{n}@example.com" });
            statuses.Add(response.StatusCode);
        }
        var allowed = new PublicSubscriptionOptions().AddressRateLimitPermits;
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Accepted, allowed).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 6 - allowed)), statuses);
        Assert.Equal(allowed, await ConfirmationsQueuedAsync());
        // The address is stored as typed: the tag stays.
        Assert.Contains("victim+1@example.com", await WithDbAsync(db => db.Subscribers.Select(s => s.Address).ToListAsync()));
    }

    [Fact]
    public async Task Gmail_dots_and_googlemail_reach_one_mailbox_and_share_its_allowance()
    {
        string[] spellings = ["jane.doe@gmail.com", "janedoe@googlemail.com", "J.a.n.e.Doe+x@Gmail.com", "jane.d.o.e@gmail.com"];
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < spellings.Length; i++)
        {
            using var attacker = ClientAddresses.For(App, $"198.51.100.{i + 1}");
            using var response = await attacker.PostAsJsonAsync("/api/public/subscriptions", new { email = spellings[i] });
            statuses.Add(response.StatusCode);
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.True(await ConfirmationsQueuedAsync() < spellings.Length);

        // Another mailbox at the same provider is not affected.
        using var someoneElse = ClientAddresses.For(App, "198.51.100.99");
        await someoneElse.PostAsync("/api/public/subscriptions", new { email = "john.doe@gmail.com" }, HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task Rotating_addresses_within_one_IPv6_64_shares_one_allowance()
    {
        var statuses = new List<HttpStatusCode>();
        for (var n = 1; n <= 4; n++)
        {
            using var attacker = ClientAddresses.For(App, $"2001:db8:1:2::{n:x}");
            using var response = await attacker.PostAsJsonAsync("/api/public/subscriptions", new { email = $"person{n}@example.com" });
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.NotNull(response.Headers.RetryAfter);
            }
        }
        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(3, await SubscribersAsync());

        // The next /64 is another client; so is an IPv4 address.
        using var neighbour = ClientAddresses.For(App, "2001:db8:1:3::1");
        await neighbour.PostAsync("/api/public/subscriptions", new { email = "neighbour@example.com" }, HttpStatusCode.Accepted);
    }

    [Theory]
    [InlineData("/api/public/subscriptions", "application/json", false)]
    [InlineData("/api/public/subscriptions", "application/json", true)]
    [InlineData("/subscribe", "application/x-www-form-urlencoded", false)]
    [InlineData("/subscriptions/unsubscribe?token=x", "application/x-www-form-urlencoded", true)]
    public async Task A_public_body_over_16_KB_is_413_and_changes_nothing(string path, string type, bool chunked)
    {
        var padding = new string('a', 17 * 1024);
        var body = type == "application/json"
            ? $$"""{"email":"big@example.com","components":[],"x":"{{padding}}"}"""
            : $"email=big%40example.com&x={padding}";
        using var client = ClientAddresses.For(App, "203.0.113.7");
        using var content = new StringContent(body, Encoding.UTF8, type);
        if (chunked)
        {
            content.Headers.ContentLength = null;
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.TransferEncodingChunked = chunked;
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("16 KB", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await SubscribersAsync());

        // Just under the limit is read as usual.
        await client.PostAsync("/api/public/subscriptions", new { email = "small@example.com" }, HttpStatusCode.Accepted);
    }
}
