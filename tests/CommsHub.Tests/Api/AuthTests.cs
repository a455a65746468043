using System.Net;
using CommsHub.Core.Auth;
using CommsHub.Core.Data;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CommsHub.Tests.Api;

public sealed class AuthTests : SqliteAppTest
{
    [Theory]
    [InlineData("/api/incidents")]
    [InlineData("/api/components")]
    [InlineData("/api/subscribers")]
    [InlineData("/api/deliveries")]
    public async Task Admin_endpoints_refuse_a_request_without_a_key(string path)
    {
        using var anonymous = App.CreateClient();
        using var response = await anonymous.GetAsync(path);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task A_wrong_key_is_refused_and_creates_nothing()
    {
        using var wrong = App.Admin("not-the-key");
        using var response = await wrong.PostAsync("/api/components", new StringContent("""{"name":"x"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await WithDbAsync(db => db.Components.CountAsync()));
    }

    [Fact]
    public async Task The_configured_key_is_accepted()
    {
        var components = await Admin.GetJsonAsync("/api/components");
        Assert.Empty(components.AsArray());
    }

    [Fact]
    public async Task Liveness_and_readiness_need_no_key()
    {
        using var anonymous = App.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        var ready = await anonymous.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
        Assert.Equal("Healthy", body["status"]!.GetValue<string>());
        Assert.Equal("Healthy", body["checks"]!["database"]!["status"]!.GetValue<string>());
        Assert.NotNull(body["checks"]!["masstransit-bus"]);
    }

    [Fact]
    public async Task Without_configured_keys_one_is_generated_once_and_only_its_hash_is_stored()
    {
        await using var scope = App.Services.CreateAsyncScope();
        var none = Options.Create(new ApiKeyOptions());

        // A process that starts with no configured key on a database without one generates a key...
        await scope.ServiceProvider.GetRequiredService<CommsHubDbContext>().ApiKeys.ExecuteDeleteAsync();
        var firstStart = new ApiKeyStore(none, TimeProvider.System);
        var key = await firstStart.LoadOrGenerateAsync(App.Services);
        Assert.NotNull(key);
        Assert.StartsWith("chk_", key);
        Assert.Equal([Scopes.Admin], firstStart.Find(key)!.Scopes);

        // ...stores only its hash...
        var stored = await scope.ServiceProvider.GetRequiredService<CommsHubDbContext>().ApiKeys.AsNoTracking().SingleAsync();
        Assert.Equal(ApiKeyStore.Hash(key), stored.Hash);
        Assert.True(stored.Generated);
        Assert.DoesNotContain(key, stored.Hash, StringComparison.Ordinal);

        // ...and the next start accepts it without generating another.
        var secondStart = new ApiKeyStore(none, TimeProvider.System);
        Assert.Null(await secondStart.LoadOrGenerateAsync(App.Services));
        Assert.NotNull(secondStart.Find(key));
        Assert.Null(secondStart.Find(key + "x"));
        Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<CommsHubDbContext>().ApiKeys.CountAsync());

        // A start with a configured key refuses it, for good: it was printed to a log.
        var configured = new ApiKeyStore(Options.Create(new ApiKeyOptions { AdminApiKeys = { ["0"] = CommsHubApp.AdminKey } }), TimeProvider.System);
        Assert.Null(await configured.LoadOrGenerateAsync(App.Services));
        Assert.Null(configured.Find(key));
        Assert.NotNull((await scope.ServiceProvider.GetRequiredService<CommsHubDbContext>().ApiKeys.AsNoTracking().SingleAsync()).RevokedAt);
        var laterWithout = new ApiKeyStore(none, TimeProvider.System);
        Assert.Null(await laterWithout.LoadOrGenerateAsync(App.Services));
        Assert.Null(laterWithout.Find(key));
    }
}
