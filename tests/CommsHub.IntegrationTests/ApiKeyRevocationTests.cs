using System.Diagnostics;
using System.Net;
using CommsHub.Testing;

namespace CommsHub.IntegrationTests;

/// <summary>Every API process reads the keys from the one database: a key revoked through one is refused by all within 5 seconds.</summary>
public sealed class ApiKeyRevocationTests : IAsyncLifetime
{
    private Infrastructure _infra = null!;

    public async Task InitializeAsync() => _infra = await Infrastructure.CreateAsync();

    public Task DisposeAsync() => _infra.DisposeAsync().AsTask();

    [Fact]
    public async Task A_key_revoked_through_one_api_process_is_refused_by_both_within_5_seconds()
    {
        var settings = _infra.Settings();
        settings["Roles"] = "api";
        // The second process is polled with a key it does not know yet: not an attack (the throttle has tests of its own).
        settings["Auth:Throttle:MaxFailures"] = "10000";
        await using var first = new CommsHubApp(settings);
        await using var second = new CommsHubApp(settings);
        _ = first.Server;
        _ = second.Server;
        using var admin = first.Admin();

        var created = await admin.PostAsync("/api/keys", new { name = "deploy-bot", scopes = new[] { "read", "publish" } });
        var key = created["key"]!.GetValue<string>();
        using var viaFirst = first.Admin(key);
        using var viaSecond = second.Admin(key);
        Assert.Equal(HttpStatusCode.OK, (await viaFirst.GetAsync("/api/incidents")).StatusCode);
        // Made through the first: the second learns of it at its next refresh.
        await Eventually.HoldsAsync(async () => (await viaSecond.GetAsync("/api/incidents")).StatusCode == HttpStatusCode.OK,
            "the second process accepts the new key", TimeSpan.FromSeconds(5));

        // Uses are written in batches, by whichever process saw them.
        await Eventually.HoldsAsync(async () => (await admin.GetJsonAsync("/api/keys")).AsArray().Single()!["lastUsedAt"] is not null,
            "the key's last use is recorded", TimeSpan.FromSeconds(15));

        using var revoke = await admin.DeleteAsync($"/api/keys/{created["id"]}");
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        var stopwatch = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.Unauthorized, (await viaFirst.GetAsync("/api/incidents")).StatusCode);
        await Eventually.HoldsAsync(async () => (await viaSecond.GetAsync("/api/incidents")).StatusCode == HttpStatusCode.Unauthorized,
            "the second process refuses the revoked key", TimeSpan.FromSeconds(5));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"refused after {stopwatch.Elapsed}");
        // And neither takes it back: a change through the second is refused too.
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await viaSecond.PostAsync("/api/components", new StringContent("""{"name":"x"}""", System.Text.Encoding.UTF8, "application/json"))).StatusCode);
    }
}
