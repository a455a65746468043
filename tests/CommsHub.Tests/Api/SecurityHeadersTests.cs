using System.Net;
using System.Text.RegularExpressions;
using CommsHub.Core.Subscribers;
using CommsHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Api;

/// <summary>Every page carries a CSP that refuses inline script and framing; the API, feeds and embed.js stay usable by other sites.</summary>
public sealed partial class SecurityHeadersTests : SqliteAppTest
{
    [Fact]
    public async Task Every_page_refuses_inline_script_and_framing_and_sniffing()
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Checkout is slow", message = "Looking into it", impact = "minor" });
        var subscriber = await Admin.SubscribeAsync("reader@example.com");
        var unsubscribe = App.Services.GetRequiredService<SubscriptionTokens>().ForUnsubscribe(Guid.Parse(subscriber));
        using var client = App.CreateClient();
        await Eventually.HoldsAsync(async () => (await client.GetAsync($"/incidents/{incident["id"]}")).StatusCode == HttpStatusCode.OK,
            "the incident page is built", TimeSpan.FromSeconds(20));

        foreach (var path in new[] { "/", "/history", $"/incidents/{incident["id"]}", "/subscriptions/unsubscribe?token=" + Uri.EscapeDataString(unsubscribe), "/hangfire/login" })
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode}");
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            var csp = Directives(Header(response, "Content-Security-Policy"));
            Assert.Equal("'self'", csp["script-src"]);
            Assert.DoesNotContain("unsafe", csp["script-src"], StringComparison.Ordinal);
            Assert.Equal("'none'", csp["frame-ancestors"]);
            Assert.Equal("'self'", csp["default-src"]);
            Assert.Equal("'none'", csp["object-src"]);
            Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
            Assert.Equal("DENY", Header(response, "X-Frame-Options"));
            Assert.Contains("camera=()", Header(response, "Permissions-Policy"), StringComparison.Ordinal);
            // Nothing on the page would run under that policy if it were inline.
            var html = await response.Content.ReadAsStringAsync();
            Assert.DoesNotMatch(InlineScript(), html);
            Assert.DoesNotMatch(EventHandlerAttribute(), html);
        }
    }

    [Theory]
    [InlineData("/", "strict-origin-when-cross-origin")]
    [InlineData("/history", "strict-origin-when-cross-origin")]
    [InlineData("/subscriptions/unsubscribe?token=nonsense", "no-referrer")]
    [InlineData("/subscriptions/confirm?token=nonsense", "no-referrer")]
    public async Task Pages_reached_through_a_secret_link_send_no_referrer(string path, string policy)
    {
        using var client = App.CreateClient();
        using var response = await client.GetAsync(path);
        Assert.Equal(policy, Header(response, "Referrer-Policy"));
    }

    [Fact]
    public async Task The_live_script_is_a_file_of_this_origin()
    {
        using var client = App.CreateClient();
        var home = await client.GetStringAsync("/");
        var src = Regex.Match(home, "<script src=\"(/assets/live\\.js\\?v=[0-9a-f]+)\"></script>").Groups[1].Value;
        Assert.NotEmpty(src);
        using var script = await client.GetAsync(src);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", Header(script, "X-Content-Type-Options"));
        Assert.Contains("new EventSource('/events')", await script.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/embed.js", "text/javascript")]
    [InlineData("/api/v2/summary.json", "application/json")]
    public async Task What_other_sites_load_keeps_cors_and_gets_no_page_policy(string path, string mediaType)
    {
        using var client = App.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Origin", "https://shop.example");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("*", Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.False(response.Headers.Contains("Content-Security-Policy"));
        Assert.False(response.Headers.Contains("X-Frame-Options"));
        Assert.False(response.Headers.Contains("Cross-Origin-Resource-Policy"));
    }

    [Fact]
    public async Task The_admin_api_answers_with_nosniff()
    {
        using var response = await Admin.GetAsync("/api/components");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        using var anonymous = App.CreateClient();
        using var refused = await anonymous.GetAsync("/api/components");
        Assert.Equal("nosniff", Header(refused, "X-Content-Type-Options"));
    }

    [Fact]
    public async Task The_dashboard_allows_its_own_inline_scripts_but_is_never_framed()
    {
        using var response = await Admin.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var csp = Directives(Header(response, "Content-Security-Policy"));
        Assert.Equal("'self' 'unsafe-inline'", csp["script-src"]);
        Assert.Equal("'none'", csp["frame-ancestors"]);
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : throw new Xunit.Sdk.XunitException($"{response.RequestMessage?.RequestUri} has no {name} header.");

    private static Dictionary<string, string> Directives(string policy) =>
        policy.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.Split(' ', 2))
            .ToDictionary(d => d[0], d => d.Length > 1 ? d[1] : "");

    [GeneratedRegex("<script(?![^>]*\\ssrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex("\\son[a-z]+\\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex EventHandlerAttribute();
}
