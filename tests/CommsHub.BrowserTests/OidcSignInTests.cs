using CommsHub.BrowserTests.Infrastructure;
using CommsHub.TestIdentityProvider;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommsHub.BrowserTests;

/// <summary>
/// OpenID Connect sign-in in real Chromium: the product on a loopback Kestrel port, a real
/// provider (OpenIddict) on another, and the browser carrying the person between them.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class OidcSignInTests(Chromium chromium) : IAsyncLifetime
{
    private const string ClientId = "commshub-browser";
    private const string SessionCookie = "commshub_session";
    private TestIdentityProvider.TestIdentityProvider _idp = null!;
    private LiveApp _app = null!;
    private IBrowserContext _context = null!;

    public async Task InitializeAsync()
    {
        _idp = await TestIdentityProvider.TestIdentityProvider.StartAsync();
        _app = LiveApp.Start(new Dictionary<string, string?>
        {
            ["Auth:Oidc:Authority"] = _idp.Url.AbsoluteUri,
            ["Auth:Oidc:ClientId"] = ClientId,
            // A public client: PKCE alone protects the code.
            ["Auth:Oidc:RequireHttpsMetadata"] = "false",
        });
        _idp.Register(new TestClient(ClientId, null, new Uri(_app.Link("/signin-oidc")), new Uri(_app.Link("/signout-callback-oidc"))));
        await WarmUpAsync();
        _context = await chromium.NewContextAsync(new() { ViewportSize = new() { Width = 1000, Height = 800 } });
        // Each sign-in crosses two hosts and a back-channel code exchange: more than a page load on a busy machine.
        _context.SetDefaultNavigationTimeout(30_000);
        _context.SetDefaultTimeout(15_000);
    }

    /// <summary>
    /// The product reads the provider's discovery document and keys on its first sign-in, and both
    /// hosts compile their sign-in paths on first use: done here, outside the browser's time-outs.
    /// </summary>
    private async Task WarmUpAsync()
    {
        using var client = LiveApp.Client(_app.Url);
        client.Timeout = TimeSpan.FromSeconds(60);
        using var challenge = await client.GetAsync("/login/oidc");
        Assert.Equal(System.Net.HttpStatusCode.Redirect, challenge.StatusCode);
        using var form = await client.GetAsync(challenge.Headers.Location);
        Assert.Equal(System.Net.HttpStatusCode.OK, form.StatusCode);
    }

    public async Task DisposeAsync()
    {
        await _context.CloseAsync();
        await _app.DisposeAsync();
        await _idp.DisposeAsync();
    }

    [Fact]
    public async Task An_admin_signs_in_at_the_provider_comes_back_signed_in_and_signs_out_at_both()
    {
        var page = await _context.NewPageAsync();
        await page.GotoAsync(_app.Link("/login/oidc?returnUrl=/"));

        await Expect(page.Locator("h1")).ToHaveTextAsync("Example Identity");
        Assert.StartsWith(_idp.Url.AbsoluteUri + "connect/authorize", page.Url, StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Artifacts.PathFor("oidc-provider-sign-in.png") });
        await page.GetByLabel("User name").FillAsync("alice");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await page.WaitForURLAsync(_app.Link("/"));
        await Expect(page.Locator("main")).ToBeVisibleAsync();
        var session = await SessionAsync();
        Assert.NotNull(session);
        Assert.Equal(["admin"], session.Principal.FindAll("commshub:scope").Select(c => c.Value));
        Assert.Equal("operator:alice.admin@example.test", session.Principal.FindFirst("commshub:actor")!.Value);
        await page.ScreenshotAsync(new() { Path = Artifacts.PathFor("oidc-signed-in.png") });

        // What the console's sign-out button does: a POST (a link cannot sign anyone out).
        await page.EvaluateAsync("""
            () => {
              const form = Object.assign(document.createElement('form'), { method: 'post', action: '/logout/oidc' });
              document.body.append(form);
              form.submit();
            }
            """);

        await page.WaitForURLAsync(_app.Link("/login?notice=signed-out"));
        Assert.Null(await SessionAsync());
        var endSession = Assert.Single(_idp.EndSessions);
        Assert.Equal(TestUsers.Alice.Subject, endSession.Subject);
    }

    [Fact]
    public async Task A_person_without_a_role_is_sent_to_the_sign_in_page_with_no_session()
    {
        var page = await _context.NewPageAsync();
        await page.GotoAsync(_app.Link("/login/oidc?returnUrl=/console"));
        await page.GetByLabel("User name").FillAsync("nora");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await page.WaitForURLAsync(_app.Link("/login?error=no-role"));
        Assert.Null(await SessionAsync());
        await page.ScreenshotAsync(new() { Path = Artifacts.PathFor("oidc-no-role.png") });
    }

    [Fact]
    public async Task An_unknown_user_name_stays_on_the_provider_with_a_message()
    {
        var page = await _context.NewPageAsync();
        await page.GotoAsync(_app.Link("/login/oidc"));
        await page.GetByLabel("User name").FillAsync("mallory");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("No such user.");
        Assert.Null(await SessionAsync());
    }

    /// <summary>The operator session the browser holds, read as the product reads it; null without one.</summary>
    private async Task<AuthenticationTicket?> SessionAsync()
    {
        var cookies = await _context.CookiesAsync([_app.Link("/")]);
        var cookie = cookies.FirstOrDefault(c => c.Name == SessionCookie);
        if (cookie is null)
        {
            return null;
        }
        var options = _app.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get("Operator");
        return options.TicketDataFormat.Unprotect(cookie.Value);
    }
}
