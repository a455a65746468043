using System.Net;
using System.Security.Claims;
using CommsHub.Api.Infrastructure;
using CommsHub.Core.Auth;
using CommsHub.Testing;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Api;

/// <summary>The Hangfire dashboard: admin scope only, by key, by its own cookie (re-checked on every request) or by an admin operator's session.</summary>
public sealed class SchedulingDashboardTests : SqliteAppTest
{
    private const string StoredKey = "chk_stored-admin-key-for-the-dashboard-0123456789";
    private const string ReadKey = "chk_stored-read-only-key-for-the-dashboard-012345";

    [Fact]
    public async Task An_admin_key_opens_it_and_nobody_else_does()
    {
        Assert.Equal(HttpStatusCode.OK, (await Admin.GetAsync("/hangfire")).StatusCode);
        using var anonymous = Browser();
        using var response = await anonymous.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/hangfire/login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        using var wrong = App.Admin("not-a-key-not-a-key-not-a-key-00");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/hangfire")).StatusCode);
    }

    [Fact]
    public async Task Signing_in_with_an_admin_key_gives_a_cookie_that_opens_it()
    {
        using var browser = Browser();
        using var signIn = await SignInAsync(browser, CommsHubApp.AdminKey);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/hangfire", signIn.Headers.Location!.OriginalString);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("commshub_dashboard=", StringComparison.Ordinal));
        Assert.Contains("path=/hangfire", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/hangfire")).StatusCode);
    }

    [Fact]
    public async Task A_dashboard_cookie_stops_working_once_its_key_is_revoked()
    {
        await StoreKeyAsync(StoredKey, [Scopes.Admin]);
        using var browser = Browser();
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(browser, StoredKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/hangfire")).StatusCode);

        await WithDbAsync(db => db.ApiKeys.Where(k => k.Hash == ApiKeyStore.Hash(StoredKey))
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, DateTimeOffset.UtcNow)));

        using var after = await browser.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/hangfire/login", after.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dashboard_cookie_stops_working_once_its_key_expires()
    {
        await StoreKeyAsync(StoredKey, [Scopes.Admin]);
        using var browser = Browser();
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(browser, StoredKey)).StatusCode);
        await WithDbAsync(db => db.ApiKeys.Where(k => k.Hash == ApiKeyStore.Hash(StoredKey))
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.ExpiresAt, DateTimeOffset.UtcNow.AddSeconds(-1))));
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/hangfire")).StatusCode);
    }

    [Fact]
    public async Task A_key_without_the_admin_scope_never_reaches_the_dashboard_through_its_sign_in()
    {
        await StoreKeyAsync(ReadKey, [Scopes.Read, Scopes.Publish]);
        using var browser = Browser();
        using var signIn = await SignInAsync(browser, ReadKey);
        using var dashboard = await browser.GetAsync("/hangfire");
        Assert.NotEqual(HttpStatusCode.OK, dashboard.StatusCode);
    }

    [Fact(Skip = "Needs scoped API keys in the key store (POST /api/keys): until then every accepted key is an admin.")]
    public async Task A_key_without_the_admin_scope_is_refused_403_with_a_bearer_token()
    {
        await StoreKeyAsync(ReadKey, [Scopes.Read, Scopes.Publish]);
        using var client = App.Admin(ReadKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/hangfire")).StatusCode);
        using var browser = Browser();
        Assert.Equal(HttpStatusCode.Forbidden, (await SignInAsync(browser, ReadKey)).StatusCode);
    }

    [Theory]
    [InlineData(OperatorRoles.Admin, HttpStatusCode.OK)]
    [InlineData(OperatorRoles.Responder, HttpStatusCode.Forbidden)]
    public async Task An_operator_session_opens_it_only_for_an_admin(string role, HttpStatusCode expected)
    {
        var person = new Operator
        {
            Id = Guid.CreateVersion7(), Email = $"{role}@example.com", Name = role, Role = role, SecurityStamp = "stamp-1",
            CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
        };
        await WithDbAsync(async db =>
        {
            db.Operators.Add(person);
            return await db.SaveChangesAsync();
        });
        await using var app = App.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IStartupFilter>(new OperatorSignIn(person))));
        using var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.NoContent, (await browser.PostAsync("/test/operator-sign-in", null)).StatusCode);

        using var dashboard = await browser.GetAsync("/hangfire");
        // A refused operator may be shown a page of the operator scheme's choosing, but never the dashboard.
        Assert.Equal(expected, dashboard.StatusCode == HttpStatusCode.OK ? HttpStatusCode.OK : HttpStatusCode.Forbidden);
    }

    /// <summary>Signs a test request in to the operator session as sign-in at /login would: the claims every CommsHub principal carries.</summary>
    private sealed class OperatorSignIn(Operator person) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            // Not app.Map: that would scope the cookie to the branch's path.
            app.Use(async (context, nextMiddleware) =>
            {
                if (context.Request.Path != "/test/operator-sign-in")
                {
                    await nextMiddleware(context);
                    return;
                }
                var claims = OperatorRoles.ScopesOf(person.Role).Select(s => new Claim(CommsHubClaims.Scope, s))
                    .Append(new Claim(CommsHubClaims.Actor, CommsHubClaims.OperatorActor(person.Email)))
                    .Append(new Claim(CommsHubClaims.SubjectId, person.Id.ToString()))
                    .Append(new Claim(CommsHubClaims.SecurityStamp, person.SecurityStamp))
                    .Append(new Claim(ClaimTypes.Name, person.Email));
                await context.SignInAsync(AuthSchemes.OperatorCookie, new ClaimsPrincipal(new ClaimsIdentity(claims, AuthSchemes.OperatorCookie)));
                context.Response.StatusCode = StatusCodes.Status204NoContent;
            });
            next(app);
        };
    }

    private HttpClient Browser() => App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    private static Task<HttpResponseMessage> SignInAsync(HttpClient browser, string key) =>
        browser.PostAsync("/hangfire/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = key, ["returnUrl"] = "/hangfire" }));

    /// <summary>A key as the key store keeps it (hashed), read by the next start.</summary>
    private async Task StoreKeyAsync(string key, List<string> scopes)
    {
        await WithDbAsync(async db =>
        {
            db.ApiKeys.Add(new ApiKey { Id = Guid.CreateVersion7(), Name = "dashboard-test", Hash = ApiKeyStore.Hash(key), Scopes = scopes, CreatedAt = DateTimeOffset.UtcNow });
            return await db.SaveChangesAsync();
        });
        await RestartAsync();
    }
}
