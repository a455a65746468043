using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace CommsHub.Tests.Subscribers.Abuse;

/// <summary>
/// The optional CAPTCHA, checked server-side against a loopback stand-in for Cloudflare Turnstile's
/// siteverify: a bot without a token, or with a forged one, subscribes nobody.
/// </summary>
public sealed class CaptchaTests : SqliteAppTest, IDisposable
{
    private const string GoodToken = "XXXX.DUMMY.TOKEN.XXXX";
    private readonly WireMockServer _turnstile = StartTurnstile();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Subscriptions:Captcha:Provider"] = "turnstile",
        ["Subscriptions:Captcha:SiteKey"] = "1x00000000000000000000AA",
        ["Subscriptions:Captcha:Secret"] = "1x0000000000000000000000000000000AA",
        ["Subscriptions:Captcha:VerifyUrl"] = _turnstile.Url + "/turnstile/v0/siteverify",
    };

    public void Dispose() => _turnstile.Dispose();

    private static WireMockServer StartTurnstile()
    {
        var server = WireMockServer.Start();
        server.Given(Request.Create().WithPath("/turnstile/v0/siteverify").UsingPost().WithBody(b => b != null && b.Contains("response=" + Uri.EscapeDataString(GoodToken), StringComparison.Ordinal)))
            .AtPriority(1)
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("""{"success":true,"error-codes":[]}"""));
        server.Given(Request.Create().WithPath("/turnstile/v0/siteverify").UsingPost())
            .AtPriority(2)
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("""{"success":false,"error-codes":["invalid-input-response"]}"""));
        return server;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("forged")]
    public async Task A_request_without_a_valid_token_is_400_and_subscribes_nobody(string? token)
    {
        using var bot = App.CreateClient();
        var body = new JsonObject { ["email"] = "bot-target@example.com" };
        if (token is not null)
        {
            body["cf-turnstile-response"] = token;
        }
        using var response = await bot.PostAsJsonAsync("/api/public/subscriptions", body);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["cf-turnstile-response"], problem["errors"]!.AsObject().Select(e => e.Key));
        Assert.Equal(0, await WithDbAsync(db => db.Subscribers.CountAsync()));
        Assert.Equal(token is null ? 0 : 1, _turnstile.LogEntries.Count); // no token: nothing to ask the provider
    }

    [Fact]
    public async Task A_solved_challenge_subscribes_by_API_and_by_form_and_the_secret_is_verified_server_side()
    {
        using var person = App.CreateClient();
        await person.PostAsync("/api/public/subscriptions", new JsonObject { ["email"] = "person@example.com", ["cf-turnstile-response"] = GoodToken },
            HttpStatusCode.Accepted);
        var verify = Assert.Single(_turnstile.LogEntries).RequestMessage.Body!;
        Assert.Contains("secret=1x0000000000000000000000000000000AA", verify);

        using var form = await person.PostAsync("/subscribe", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = "reader@example.com",
            ["cf-turnstile-response"] = GoodToken,
        }));
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        using var unsolved = await person.PostAsync("/subscribe", new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = "other@example.com" }));
        Assert.Equal(HttpStatusCode.BadRequest, unsolved.StatusCode);
        Assert.Contains("anti-robot check", await unsolved.Content.ReadAsStringAsync());

        Assert.Equal(["person@example.com", "reader@example.com"],
            await WithDbAsync(db => db.Subscribers.Select(s => s.Address).OrderBy(a => a).ToListAsync()));
    }

    [Fact]
    public async Task The_status_page_shows_the_widget_and_its_CSP_allows_the_provider()
    {
        using var browser = App.CreateClient();
        await Eventually.HoldsAsync(async () =>
        {
            using var page = await browser.GetAsync("/");
            return page.StatusCode == HttpStatusCode.OK;
        }, "the status page is built");
        using var response = await browser.GetAsync("/");
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("class=\"cf-turnstile\" data-sitekey=\"1x00000000000000000000AA\"", html);
        Assert.Contains("https://challenges.cloudflare.com/turnstile/v0/api.js", html);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self' https://challenges.cloudflare.com", csp);
        Assert.Contains("frame-src https://challenges.cloudflare.com", csp);
    }
}
