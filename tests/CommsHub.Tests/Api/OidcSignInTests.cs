using System.Net;
using System.Web;
using CommsHub.Api.Infrastructure;
using CommsHub.Core.Auth;
using CommsHub.Testing;
using CommsHub.TestIdentityProvider;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CommsHub.Tests.Api;

/// <summary>
/// OpenID Connect sign-in end to end: the real product (TestServer) and a real provider
/// (OpenIddict on loopback), with a cookie-keeping client walking every redirect in between.
/// </summary>
public sealed class OidcSignInTests(IdentityProviderFixture idp) : IClassFixture<IdentityProviderFixture>, IAsyncLifetime
{
    private const string ClientId = "commshub-tests";
    private const string ClientSecret = "s3cret-for-tests-only";
    private readonly string _file = Path.Combine(Path.GetTempPath(), "commshub-tests", $"{Guid.NewGuid():N}.db");
    private CommsHubApp _app = null!;
    private CookieBrowser _browser = null!;
    private Uri _base = null!;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        _app = new CommsHubApp(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:CommsHub"] = $"Data Source={_file}",
            ["Auth:Oidc:Authority"] = idp.Provider.Url.AbsoluteUri,
            ["Auth:Oidc:ClientId"] = ClientId,
            ["Auth:Oidc:ClientSecret"] = ClientSecret,
            ["Auth:Oidc:RequireHttpsMetadata"] = "false",
        });
        _base = _app.Server.BaseAddress;
        idp.Provider.Register(new TestClient(ClientId, ClientSecret, new Uri(_base, "/signin-oidc"), new Uri(_base, "/signout-callback-oidc")));
        _browser = new CookieBrowser(_app.Server.CreateHandler(), _base);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _browser.Dispose();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _file, _file + "-wal", _file + "-shm" })
        {
            File.Delete(f);
        }
    }

    [Fact]
    public async Task A_viewer_signs_in_at_the_provider_and_comes_back_with_a_read_only_session()
    {
        var landing = await SignInAsync("vera", returnUrl: "/");

        Assert.Equal(HttpStatusCode.OK, landing.StatusCode);
        Assert.Equal(new Uri(_base, "/"), _browser.Visited[^1]);
        // The way there: our start, the provider's authorize (code flow with PKCE, the contract's scopes), our callback.
        var authorize = _browser.Visited.Single(u => u.AbsolutePath == "/connect/authorize" && u.Query.Length > 0);
        var query = HttpUtility.ParseQueryString(authorize.Query);
        Assert.Equal("code", query["response_type"]);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.False(string.IsNullOrEmpty(query["code_challenge"]));
        Assert.Equal("openid profile email", query["scope"]);
        Assert.Equal(ClientId, query["client_id"]);
        Assert.Equal(new Uri(_base, "/signin-oidc").AbsoluteUri, query["redirect_uri"]);
        Assert.Contains(_browser.Visited, u => u.AbsolutePath == "/signin-oidc");

        var session = Session();
        Assert.NotNull(session);
        Assert.Equal([Scopes.Read], Values(session, CommsHubClaims.Scope));
        Assert.Equal(["operator:vera@example.test"], Values(session, CommsHubClaims.Actor));
        Assert.Equal(["oidc:" + TestUsers.Vera.Subject], Values(session, CommsHubClaims.SubjectId));
        Assert.Equal("Vera Viewer", session.Principal.Identity!.Name);
        // Kept for the provider's sign-out; nothing else of the provider's tokens is.
        Assert.False(string.IsNullOrEmpty(session.Properties.GetTokenValue("id_token")));
        Assert.Null(session.Properties.GetTokenValue("access_token"));
        Assert.Null(session.Properties.GetTokenValue("refresh_token"));
    }

    [Theory]
    [InlineData("alice", new[] { Scopes.Admin }, "operator:alice.admin@example.test")]
    [InlineData("rob", new[] { Scopes.Read, Scopes.Publish }, "operator:rob@example.test")]
    public async Task The_role_claim_gives_the_session_its_scopes(string user, string[] scopes, string actor)
    {
        await SignInAsync(user, returnUrl: "/");

        var session = Session();
        Assert.NotNull(session);
        Assert.Equal(scopes, Values(session, CommsHubClaims.Scope));
        Assert.Equal([actor], Values(session, CommsHubClaims.Actor));
    }

    [Fact]
    public async Task A_person_the_provider_knows_but_without_a_role_gets_no_session()
    {
        await SignInAsync("nora", returnUrl: "/");

        Assert.Contains(_browser.Visited, u => u.AbsolutePath == "/signin-oidc");
        var last = _browser.Visited[^1];
        Assert.Equal("/login", last.AbsolutePath);
        Assert.Equal("?error=no-role", last.Query);
        Assert.Null(_browser.Cookie("commshub_session"));
        Assert.Null(Session());
    }

    [Fact]
    public async Task Sign_in_goes_back_to_the_page_asked_for_but_never_to_another_site()
    {
        await SignInAsync("vera", returnUrl: "https://evil.example/steal");

        Assert.Equal(new Uri(_base, "/console"), _browser.Visited[^1]);
        Assert.NotNull(Session());
    }

    [Fact]
    public async Task Signing_out_ends_the_session_here_and_at_the_provider()
    {
        await SignInAsync("rob", returnUrl: "/");
        Assert.NotNull(Session());
        var before = idp.Provider.EndSessions.Count;

        using var signedOut = await _browser.NavigateAsync(new Uri(_base, "/logout/oidc"), HttpMethod.Post);

        Assert.Null(_browser.Cookie("commshub_session"));
        var endSession = idp.Provider.EndSessions.Skip(before).Single();
        Assert.Equal(TestUsers.Rob.Subject, endSession.Subject);
        Assert.Equal(new Uri(_base, "/signout-callback-oidc").AbsoluteUri, endSession.PostLogoutRedirectUri);
        Assert.Contains(_browser.Visited, u => u.AbsolutePath == "/connect/endsession");
        Assert.Contains(_browser.Visited, u => u.AbsolutePath == "/signout-callback-oidc");
        Assert.Equal("/login?notice=signed-out", _browser.Visited[^1].PathAndQuery);
    }

    [Fact]
    public async Task Signing_out_without_a_session_just_goes_to_the_sign_in_page()
    {
        var before = idp.Provider.EndSessions.Count;

        using var response = await _browser.SendAsync(HttpMethod.Post, new Uri(_base, "/logout/oidc"));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login?notice=signed-out", response.Headers.Location!.OriginalString);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Equal(before, idp.Provider.EndSessions.Count);
    }

    [Fact]
    public async Task A_link_cannot_sign_anyone_out()
    {
        await SignInAsync("vera", returnUrl: "/");

        using var response = await _browser.SendAsync(HttpMethod.Get, new Uri(_base, "/logout/oidc"));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.NotNull(Session());
    }

    [Fact]
    public async Task A_sign_in_that_fails_on_the_way_back_ends_on_the_sign_in_page_with_no_session()
    {
        // What a browser brings back when the person cancels at the provider, or replays an old answer.
        await _browser.NavigateAsync(new Uri(_base, "/signin-oidc?error=access_denied&state=forged"));

        Assert.Equal("/login?error=oidc", _browser.Visited[^1].PathAndQuery);
        Assert.Null(Session());
    }

    [Fact(Skip = "Enable when the per-scope policies accept the operator cookie (scoped API keys branch): a viewer reads but cannot publish")]
    public async Task Merge_check_a_viewer_signed_in_through_oidc_reads_incidents_but_may_not_publish()
    {
        await SignInAsync("vera", returnUrl: "/");

        using var list = await _browser.SendAsync(HttpMethod.Get, new Uri(_base, "/api/incidents"));
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        using var publish = await _browser.SendAsync(HttpMethod.Post, new Uri(_base, "/api/incidents"),
            new StringContent("""{"title":"t","message":"m","impact":"minor","components":[]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, publish.StatusCode);
        Assert.Contains("publish", await publish.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>Starts at /login/oidc, picks <paramref name="user"/> on the provider's form and follows every redirect back.</summary>
    private async Task<HttpResponseMessage> SignInAsync(string user, string returnUrl)
    {
        using var form = await _browser.NavigateAsync(new Uri(_base, "/login/oidc?returnUrl=" + Uri.EscapeDataString(returnUrl)));
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        var page = _browser.Visited[^1];
        Assert.Equal(idp.Provider.Url.Authority, page.Authority);
        return await _browser.SubmitFormAsync(page, await form.Content.ReadAsStringAsync(), new Dictionary<string, string> { ["username"] = user });
    }

    /// <summary>The session the operator cookie carries, read as the product reads it.</summary>
    private AuthenticationTicket? Session()
    {
        var cookie = _browser.Cookie("commshub_session");
        if (cookie is null)
        {
            return null;
        }
        var value = cookie.Value;
        if (value.StartsWith("chunks-", StringComparison.Ordinal))
        {
            var count = int.Parse(value["chunks-".Length..], System.Globalization.CultureInfo.InvariantCulture);
            value = string.Concat(Enumerable.Range(1, count).Select(i => _browser.Cookie("commshub_sessionC" + i)!.Value));
        }
        var options = _app.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(AuthSchemes.OperatorCookie);
        return options.TicketDataFormat.Unprotect(value);
    }

    private static string[] Values(AuthenticationTicket session, string type) => [.. session.Principal.FindAll(type).Select(c => c.Value)];
}
