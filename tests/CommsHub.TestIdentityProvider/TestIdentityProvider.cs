using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace CommsHub.TestIdentityProvider;

/// <summary>One relying party the provider accepts, with the exact URIs it may send people back to.</summary>
public sealed record TestClient(string ClientId, string? ClientSecret, Uri RedirectUri, Uri PostLogoutRedirectUri);

/// <summary>A call to the provider's end-session endpoint: whom the ID token hint named, where it went back to.</summary>
public sealed record EndSessionCall(string? Subject, string? PostLogoutRedirectUri);

/// <summary>
/// A real OpenID Connect provider (OpenIddict server) on a loopback port, for the sign-in tests:
/// discovery, JWKS, authorization code flow with PKCE, ID tokens carrying sub, email, name and
/// roles, and an end-session endpoint. Degraded mode: no database; clients are checked by the
/// handlers below against <see cref="Register"/>, codes are self-contained encrypted tokens. Plain
/// http on loopback, so the relying party must run with RequireHttpsMetadata off.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    private const string AuthorizePath = "/connect/authorize";
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, TestClient> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<EndSessionCall> _endSessions = new();

    private TestIdentityProvider(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The issuer, e.g. http://127.0.0.1:40123/ (what the relying party sets as its Authority).</summary>
    public Uri Url { get; }

    /// <summary>Every end-session request the provider accepted, oldest first.</summary>
    public IReadOnlyCollection<EndSessionCall> EndSessions => _endSessions;

    public void Register(TestClient client) => _clients[client.ClientId] = client;

    public static async Task<TestIdentityProvider> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(TestIdentityProvider).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Testing",
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        TestIdentityProvider? self = null;
        Func<TestIdentityProvider> provider = () => self ?? throw new InvalidOperationException("The provider is not started yet.");
        builder.Services.AddOpenIddict().AddServer(o =>
        {
            o.SetAuthorizationEndpointUris(AuthorizePath)
                .SetTokenEndpointUris("/connect/token")
                .SetEndSessionEndpointUris("/connect/endsession");
            o.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
            o.RegisterScopes(Scopes.OpenId, Scopes.Email, Scopes.Profile);
            // Keys live as long as the process: nothing is written to a certificate store.
            o.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
            o.EnableDegradedMode();
            o.UseAspNetCore()
                .EnableAuthorizationEndpointPassthrough()
                .EnableEndSessionEndpointPassthrough()
                .DisableTransportSecurityRequirement();
            o.AddEventHandler<ValidateAuthorizationRequestContext>(h => h.UseInlineHandler(context =>
            {
                if (!provider()._clients.TryGetValue(context.ClientId ?? "", out var client))
                {
                    context.Reject(Errors.InvalidClient, "Unknown client_id.");
                }
                else if (!string.Equals(context.RedirectUri, client.RedirectUri.AbsoluteUri, StringComparison.Ordinal))
                {
                    context.Reject(Errors.InvalidRequest, $"redirect_uri {context.RedirectUri} is not registered for {client.ClientId}.");
                }
                return default;
            }));
            o.AddEventHandler<ValidateTokenRequestContext>(h => h.UseInlineHandler(context =>
            {
                if (!provider()._clients.TryGetValue(context.ClientId ?? "", out var client))
                {
                    context.Reject(Errors.InvalidClient, "Unknown client_id.");
                }
                else if (client.ClientSecret is not null && !string.Equals(context.ClientSecret, client.ClientSecret, StringComparison.Ordinal))
                {
                    context.Reject(Errors.InvalidClient, "Wrong client secret.");
                }
                return default;
            }));
            o.AddEventHandler<ValidateEndSessionRequestContext>(h => h.UseInlineHandler(context =>
            {
                if (context.PostLogoutRedirectUri is { } uri &&
                    !provider()._clients.Values.Any(c => string.Equals(c.PostLogoutRedirectUri.AbsoluteUri, uri, StringComparison.Ordinal)))
                {
                    context.Reject(Errors.InvalidRequest, $"post_logout_redirect_uri {uri} is not registered.");
                }
                return default;
            }));
        });

        var app = builder.Build();
        // Typed as Func so the results are written (a bare HttpContext handler would be a RequestDelegate).
        Func<HttpContext, Task<IResult>> authorize = AuthorizeAsync;
        Func<HttpContext, Task<IResult>> endSession = http => provider().EndSessionAsync(http);
        app.MapMethods(AuthorizePath, [HttpMethods.Get, HttpMethods.Post], authorize);
        app.MapMethods("/connect/endsession", [HttpMethods.Get, HttpMethods.Post], endSession);
        await app.StartAsync();
        var address = new Uri(app.Urls.Single());
        self = new TestIdentityProvider(app, new Uri($"http://127.0.0.1:{address.Port}/"));
        return self;
    }

    /// <summary>Shows the sign-in form; a posted user name signs that person in, with no consent step.</summary>
    private static async Task<IResult> AuthorizeAsync(HttpContext http)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        if (!HttpMethods.IsPost(http.Request.Method))
        {
            return Results.Content(LoginPage.Render(AuthorizePath, request, error: null), "text/html; charset=utf-8");
        }
        var form = await http.Request.ReadFormAsync();
        var user = TestUsers.Find(form[LoginPage.UserNameField]);
        if (user is null)
        {
            return Results.Content(LoginPage.Render(AuthorizePath, request, "No such user."), "text/html; charset=utf-8");
        }
        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, user.Subject)
            .SetClaim(Claims.Email, user.Email)
            .SetClaim(Claims.Name, user.Name)
            .SetClaim(Claims.PreferredUsername, user.UserName)
            .SetClaims("roles", [.. user.Roles]);
        identity.SetScopes(request.GetScopes());
        identity.SetDestinations(static _ => [Destinations.IdentityToken, Destinations.AccessToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private async Task<IResult> EndSessionAsync(HttpContext http)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        // The ID token hint was validated by OpenIddict; its subject says who asked to sign out.
        var hint = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        _endSessions.Enqueue(new EndSessionCall(hint.Principal?.GetClaim(Claims.Subject), request.PostLogoutRedirectUri));
        return Results.SignOut(new AuthenticationProperties { RedirectUri = "/" }, [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
