using System.Net;
using CommsHub.Api.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CommsHub.Tests.Api;

/// <summary>The failed-authentication window itself, on a fake clock.</summary>
public sealed class AuthFailureThrottleTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));

    private AuthFailureThrottle Throttle(int maxFailures = 3, int maxClients = 100) =>
        new(Options.Create(new AuthThrottleOptions { MaxFailures = maxFailures, Window = TimeSpan.FromMinutes(5), MaxClients = maxClients }), _clock);

    private static DefaultHttpContext From(string address) => new() { Connection = { RemoteIpAddress = IPAddress.Parse(address) } };

    [Fact]
    public void A_client_is_blocked_at_the_limit_until_its_oldest_failure_leaves_the_window()
    {
        var throttle = Throttle();
        var client = From("203.0.113.7");
        throttle.RecordFailure(client);
        _clock.Advance(TimeSpan.FromMinutes(1));
        throttle.RecordFailure(client);
        Assert.False(throttle.IsBlocked(client, out _));
        throttle.RecordFailure(client);

        Assert.True(throttle.IsBlocked(client, out var retryAfter));
        Assert.Equal(TimeSpan.FromMinutes(4), retryAfter);

        _clock.Advance(TimeSpan.FromMinutes(4) - TimeSpan.FromSeconds(1));
        Assert.True(throttle.IsBlocked(client, out retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(1), retryAfter);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(throttle.IsBlocked(client, out _));
        // One slot freed, not the whole window: one more failure blocks again.
        throttle.RecordFailure(client);
        Assert.True(throttle.IsBlocked(client, out _));
    }

    [Fact]
    public void Clients_count_apart_and_an_ipv6_client_is_its_64()
    {
        var throttle = Throttle();
        for (var i = 0; i < 3; i++)
        {
            throttle.RecordFailure(From($"2001:db8:1:2::{i + 1}"));
        }
        Assert.True(throttle.IsBlocked(From("2001:db8:1:2:ffff::9"), out _));
        Assert.False(throttle.IsBlocked(From("2001:db8:1:3::1"), out _));
        Assert.False(throttle.IsBlocked(From("203.0.113.7"), out _));
        Assert.Equal("203.0.113.7", AuthFailureThrottle.ClientOf(IPAddress.Parse("::ffff:203.0.113.7")));
    }

    [Fact]
    public void A_success_starts_the_client_afresh()
    {
        var throttle = Throttle();
        var client = From("203.0.113.7");
        throttle.RecordFailure(client);
        throttle.RecordFailure(client);
        throttle.RecordSuccess(client);
        throttle.RecordFailure(client);
        throttle.RecordFailure(client);
        Assert.False(throttle.IsBlocked(client, out _));
    }

    [Fact]
    public void Memory_stays_bounded_under_failures_from_many_addresses()
    {
        var throttle = Throttle(maxClients: 100);
        for (var i = 0; i < 10_000; i++)
        {
            throttle.RecordFailure(From($"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"));
        }
        Assert.InRange(throttle.TrackedClients, 1, 100);
        // A client that failed last is still counted.
        var last = From("198.51.100.1");
        for (var i = 0; i < 3; i++)
        {
            throttle.RecordFailure(last);
        }
        Assert.True(throttle.IsBlocked(last, out _));
    }
}
