using System.Net;
using CommsHub.Core.Data;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Auth;

public sealed class ApiKeyTests : SqliteAppTest
{
    [Fact]
    public async Task A_key_is_shown_once_stored_hashed_and_listed_without_it()
    {
        var created = await Admin.CreateKeyAsync("deploy-bot", ["publish", "read"]);
        var key = created["key"]!.GetValue<string>();
        Assert.StartsWith("chk_", key);
        Assert.True(key.Length >= 40);
        Assert.Equal("deploy-bot", created["name"]!.GetValue<string>());
        Assert.Equal(["publish", "read"], created["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.NotNull(created["createdAt"]);
        Assert.Null(created["expiresAt"]);

        var listed = (await Admin.GetJsonAsync("/api/keys")).AsArray();
        var entry = Assert.Single(listed, k => k!["name"]!.GetValue<string>() == "deploy-bot")!;
        Assert.DoesNotContain(key, listed.ToJsonString(), StringComparison.Ordinal);
        Assert.False(entry.AsObject().ContainsKey("key"));
        Assert.Equal("key:config-0", entry["createdBy"]!.GetValue<string>());
        Assert.Null(entry["revokedAt"]);
        Assert.Null(entry["lastUsedAt"]);

        var stored = await WithDbAsync(db => db.ApiKeys.AsNoTracking().SingleAsync(k => k.Name == "deploy-bot"));
        Assert.Equal(64, stored.Hash.Length);
        Assert.DoesNotContain(key, stored.Hash, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_used_key_shows_when_it_was_last_used_after_the_next_flush()
    {
        var created = await Admin.CreateKeyAsync("dashboard", ["read"]);
        using var reader = App.WithKey(created);
        Assert.Equal(200, await reader.StatusAsync("/api/incidents"));
        Assert.Equal(200, await reader.StatusAsync("/api/components"));

        await Eventually.HoldsAsync(async () =>
                (await Admin.GetJsonAsync("/api/keys")).AsArray().Single(k => k!["name"]!.GetValue<string>() == "dashboard")!["lastUsedAt"] is not null,
            "the key's lastUsedAt is written", TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task A_revoked_key_is_refused_at_once_by_the_process_that_revoked_it()
    {
        var created = await Admin.CreateKeyAsync("ci", ["publish", "read"]);
        using var ci = App.WithKey(created);
        Assert.Equal(200, await ci.StatusAsync("/api/incidents"));

        using var revoke = await Admin.DeleteAsync($"/api/keys/{created["id"]}");
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        using var refused = await ci.GetAsync("/api/incidents");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);

        var entry = (await Admin.GetJsonAsync("/api/keys")).AsArray().Single(k => k!["name"]!.GetValue<string>() == "ci")!;
        Assert.NotNull(entry["revokedAt"]);
        // Revoking again changes nothing; an unknown id is a 404.
        Assert.Equal(HttpStatusCode.NoContent, (await Admin.DeleteAsync($"/api/keys/{created["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Admin.DeleteAsync($"/api/keys/{Guid.NewGuid()}")).StatusCode);
    }

    [Fact]
    public async Task A_key_revoked_in_the_database_by_another_process_is_refused_within_5_seconds()
    {
        var created = await Admin.CreateKeyAsync("elsewhere", ["read"]);
        using var client = App.WithKey(created);
        Assert.Equal(200, await client.StatusAsync("/api/incidents"));

        // What another process's DELETE /api/keys/{id} leaves behind: only the row changes.
        var id = Guid.Parse(created["id"]!.GetValue<string>());
        var revokedAt = DateTimeOffset.UtcNow;
        await WithDbAsync(db => db.ApiKeys.Where(k => k.Id == id).ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, revokedAt)));
        await Eventually.HoldsAsync(async () => await client.StatusAsync("/api/incidents") == 401, "the key is refused", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_process_follows_revocations_made_elsewhere_both_ways_within_5_seconds()
    {
        var created = await Admin.CreateKeyAsync("seen-later", ["read"]);
        var id = Guid.Parse(created["id"]!.GetValue<string>());
        using var client = App.WithKey(created);
        // Revoke and un-revoke behind the product's back: the process must learn both from the database.
        await WithDbAsync(db => db.ApiKeys.Where(k => k.Id == id).ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, DateTimeOffset.UtcNow)));
        await Eventually.HoldsAsync(async () => await client.StatusAsync("/api/incidents") == 401, "the key is refused", TimeSpan.FromSeconds(5));
        await WithDbAsync(db => db.ApiKeys.Where(k => k.Id == id).ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, (DateTimeOffset?)null)));
        await Eventually.HoldsAsync(async () => await client.StatusAsync("/api/incidents") == 200, "the key is accepted", TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData("""{"name":"","scopes":["read"]}""", "name")]
    [InlineData("""{"name":"has space","scopes":["read"]}""", "name")]
    [InlineData("""{"name":"config-7","scopes":["read"]}""", "name")]
    [InlineData("""{"name":"bot","scopes":[]}""", "scopes")]
    [InlineData("""{"name":"bot","scopes":["write"]}""", "scopes[0]")]
    [InlineData("""{"name":"bot","scopes":["read"],"expiresAt":"2001-01-01T00:00:00Z"}""", "expiresAt")]
    public async Task An_invalid_key_request_is_a_400_naming_the_field(string body, string field)
    {
        using var response = await Admin.PostAsync("/api/keys", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.True(System.Text.Json.Nodes.JsonNode.Parse(text)!["errors"]!.AsObject().ContainsKey(field), text);
        Assert.Equal(0, await WithDbAsync(db => db.ApiKeys.CountAsync(k => !k.Generated)));
    }

    [Fact]
    public async Task Two_active_keys_cannot_share_a_name_so_the_audit_log_tells_them_apart()
    {
        var first = await Admin.CreateKeyAsync("deploy-bot", ["publish"]);
        var conflict = await Admin.PostAsync("/api/keys", new { name = "Deploy-Bot", scopes = new[] { "read" } }, HttpStatusCode.Conflict);
        Assert.Equal(first["id"]!.GetValue<string>(), conflict["existingId"]!.GetValue<string>());

        // Once the first is revoked, its name can be given to its replacement.
        Assert.Equal(HttpStatusCode.NoContent, (await Admin.DeleteAsync($"/api/keys/{first["id"]}")).StatusCode);
        await Admin.CreateKeyAsync("deploy-bot", ["publish"]);
    }

    [Fact]
    public async Task Making_and_revoking_a_key_is_audited_with_who_did_it()
    {
        var created = await Admin.CreateKeyAsync("auditor", ["admin"]);
        using var auditor = App.WithKey(created);
        var doomed = await auditor.CreateKeyAsync("short-lived", ["read"]);
        Assert.Equal(HttpStatusCode.NoContent, (await auditor.DeleteAsync($"/api/keys/{doomed["id"]}")).StatusCode);

        var made = (await Admin.GetJsonAsync("/api/audit?action=key.created")).AsObject()["items"]!.AsArray();
        Assert.Equal("key:config-0", made.Single(e => e!["data"]!["name"]!.GetValue<string>() == "auditor")!["actor"]!.GetValue<string>());
        var second = made.Single(e => e!["data"]!["name"]!.GetValue<string>() == "short-lived")!;
        Assert.Equal("key:auditor", second["actor"]!.GetValue<string>());
        Assert.Equal(doomed["id"]!.GetValue<string>(), second["subject"]!.GetValue<string>());
        Assert.Equal(["read"], second["data"]!["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.DoesNotContain(doomed["key"]!.GetValue<string>(), (await Admin.GetJsonAsync("/api/audit?limit=1000")).ToJsonString(), StringComparison.Ordinal);

        var revoked = Assert.Single((await Admin.GetJsonAsync("/api/audit?action=key.revoked"))["items"]!.AsArray())!;
        Assert.Equal("key:auditor", revoked["actor"]!.GetValue<string>());
        Assert.Equal(doomed["id"]!.GetValue<string>(), revoked["subject"]!.GetValue<string>());
    }
}
