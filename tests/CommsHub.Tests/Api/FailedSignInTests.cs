using System.Net;
using System.Text.Json.Nodes;
using CommsHub.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;

namespace CommsHub.Tests.Api;

/// <summary>
/// Repeated wrong credentials from one client end in 429 with Retry-After, per client; behind a
/// configured proxy the client is the forwarded address, from anyone else it is the connection's.
/// </summary>
public sealed class FailedSignInTests : SqliteAppTest
{
    private const string Proxy = "10.0.0.5";
    private const string Stranger = "10.0.0.9";

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["ForwardedHeaders:KnownProxies:0"] = Proxy,
        ["ForwardedHeaders:KnownNetworks:0"] = "192.168.50.0/24",
    };

    [Fact]
    public async Task Two_hundred_wrong_keys_are_answered_429_with_retry_after_past_the_limit()
    {
        using var client = App.CreateClient();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 200; i++)
        {
            last?.Dispose();
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/components");
            request.Headers.Authorization = new("Bearer", $"wrong-key-{i}");
            last = await client.SendAsync(request);
            statuses.Add(last.StatusCode);
        }
        Assert.All(statuses.Take(10), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.All(statuses.Skip(10), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        Assert.InRange(last!.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));
        Assert.Equal("application/problem+json", last.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await last.Content.ReadAsStringAsync())!;
        Assert.Equal(429, problem["status"]!.GetValue<int>());
        last.Dispose();

        // The right key from the blocked client is refused too: it is not even looked at.
        using var admin = App.Admin();
        Assert.Equal(HttpStatusCode.TooManyRequests, (await admin.GetAsync("/api/components")).StatusCode);
    }

    [Fact]
    public async Task Behind_a_configured_proxy_each_forwarded_client_has_its_own_count()
    {
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(401, (await KeyAsync(Proxy, "203.0.113.7", "wrong")).Response.StatusCode);
        }
        var blocked = (await KeyAsync(Proxy, "203.0.113.7", "wrong")).Response;
        Assert.Equal(429, blocked.StatusCode);
        Assert.NotEmpty(blocked.Headers.RetryAfter.ToString());
        Assert.Equal(429, (await KeyAsync(Proxy, "203.0.113.7", CommsHubApp.AdminKey)).Response.StatusCode);

        // Another visitor through the same proxy is not held back by the first.
        Assert.Equal(401, (await KeyAsync(Proxy, "203.0.113.8", "wrong")).Response.StatusCode);
        Assert.Equal(200, (await KeyAsync(Proxy, "203.0.113.8", CommsHubApp.AdminKey)).Response.StatusCode);
        // A proxy in a configured network is believed as well: the blocked visitor is recognised through it.
        Assert.Equal(429, (await KeyAsync("192.168.50.20", "203.0.113.7", CommsHubApp.AdminKey)).Response.StatusCode);
        Assert.Equal(200, (await KeyAsync("192.168.50.20", "203.0.113.9", CommsHubApp.AdminKey)).Response.StatusCode);
    }

    [Fact]
    public async Task A_client_that_is_not_a_configured_proxy_cannot_change_its_address_with_a_header()
    {
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(401, (await KeyAsync(Stranger, $"198.51.100.{i}", "wrong")).Response.StatusCode);
        }
        var context = await KeyAsync(Stranger, "198.51.100.200", CommsHubApp.AdminKey);
        Assert.Equal(429, context.Response.StatusCode);
        Assert.Equal(IPAddress.Parse(Stranger), context.Connection.RemoteIpAddress);
    }

    [Fact]
    public async Task Behind_a_configured_tls_proxy_the_dashboard_cookie_is_secure_and_not_otherwise()
    {
        var proxied = await DashboardSignInAsync(Proxy, "https");
        Assert.Equal(302, proxied.Response.StatusCode);
        Assert.Equal("https", proxied.Request.Scheme);
        var cookie = proxied.Response.Headers.SetCookie.ToString();
        Assert.Contains("commshub_dashboard=", cookie, StringComparison.Ordinal);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);

        // The same header from a client that is not a proxy changes nothing: a plain-http request.
        var spoofed = await DashboardSignInAsync(Stranger, "https");
        Assert.Equal(302, spoofed.Response.StatusCode);
        Assert.Equal("http", spoofed.Request.Scheme);
        Assert.DoesNotContain("secure", spoofed.Response.Headers.SetCookie.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_dashboard_sign_in_counts_wrong_keys_and_then_refuses_with_retry_after()
    {
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(401, (await DashboardSignInAsync(Proxy, "https", "203.0.113.7", "wrong")).Response.StatusCode);
        }
        var blocked = await DashboardSignInAsync(Proxy, "https", "203.0.113.7");
        Assert.Equal(429, blocked.Response.StatusCode);
        Assert.InRange(int.Parse(blocked.Response.Headers.RetryAfter.ToString(), System.Globalization.CultureInfo.InvariantCulture), 1, 300);
        Assert.True(string.IsNullOrEmpty(blocked.Response.Headers.SetCookie.ToString()));
        // The count is shared with API keys: the same client is refused there too.
        Assert.Equal(429, (await KeyAsync(Proxy, "203.0.113.7", CommsHubApp.AdminKey)).Response.StatusCode);
        Assert.Equal(302, (await DashboardSignInAsync(Proxy, "https", "203.0.113.8")).Response.StatusCode);
    }

    private Task<HttpContext> KeyAsync(string remote, string forwardedFor, string key) =>
        App.Server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = "/api/components";
            c.Connection.RemoteIpAddress = IPAddress.Parse(remote);
            c.Request.Headers["X-Forwarded-For"] = forwardedFor;
            c.Request.Headers.Authorization = "Bearer " + key;
        });

    private Task<HttpContext> DashboardSignInAsync(string remote, string proto, string forwardedFor = "203.0.113.7", string key = CommsHubApp.AdminKey) =>
        App.Server.SendAsync(c =>
        {
            c.Request.Method = "POST";
            c.Request.Path = "/hangfire/login";
            c.Connection.RemoteIpAddress = IPAddress.Parse(remote);
            c.Request.Headers["X-Forwarded-For"] = forwardedFor;
            c.Request.Headers["X-Forwarded-Proto"] = proto;
            c.Request.ContentType = "application/x-www-form-urlencoded";
            c.Request.Body = new MemoryStream(System.Text.Encoding.UTF8.GetBytes("key=" + Uri.EscapeDataString(key) + "&returnUrl=%2Fhangfire"));
        });
}
