using System.Net;
using CommsHub.Testing;
using CommsHub.Tests.Api;

namespace CommsHub.Tests.Auth;

public sealed class ScopeTests : SqliteAppTest
{
    [Fact]
    public async Task A_read_only_key_reads_but_posting_an_incident_is_a_403_naming_the_publish_scope()
    {
        using var reader = App.WithKey(await Admin.CreateKeyAsync("status-board", ["read"]));
        Assert.Equal(200, await reader.StatusAsync("/api/incidents"));
        Assert.Equal(200, await reader.StatusAsync("/api/components"));

        var (status, problem) = await reader.PostStatusAsync("/api/incidents", new { title = "Checkout errors", message = "Investigating." });
        Assert.Equal(403, status);
        Assert.Equal(403, problem!["status"]!.GetValue<int>());
        Assert.Equal("publish", problem["scope"]!.GetValue<string>());
        Assert.Contains("'publish'", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty((await Admin.GetJsonAsync("/api/incidents?state=all")).AsArray());
    }

    [Fact]
    public async Task The_403_is_problem_details()
    {
        using var reader = App.WithKey(await Admin.CreateKeyAsync("status-board", ["read"]));
        using var response = await reader.DeleteAsync($"/api/components/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_publish_key_publishes_but_cannot_read_subscribers_or_deliveries_nor_manage_keys()
    {
        using var publisher = App.WithKey(await Admin.CreateKeyAsync("deploy-bot", ["publish"]));
        await publisher.PostAsync("/api/incidents", new { title = "Checkout errors", message = "Investigating." });

        foreach (var (path, scope) in new[] { ("/api/subscribers", "subscribers"), ("/api/deliveries", "subscribers"), ("/api/keys", "admin"), ("/api/audit", "admin") })
        {
            var problem = await publisher.GetJsonAsync(path, HttpStatusCode.Forbidden);
            Assert.Equal(scope, problem["scope"]!.GetValue<string>());
        }
        var (status, made) = await publisher.PostStatusAsync("/api/keys", new { name = "escalated", scopes = new[] { "admin" } });
        Assert.Equal(403, status);
        Assert.Equal("admin", made!["scope"]!.GetValue<string>());
        Assert.Equal(403, (await publisher.PostStatusAsync("/api/subscribers", new { email = "ann@example.com" })).Status);
    }

    [Fact]
    public async Task A_publish_key_reads_what_it_publishes_only_with_read()
    {
        // Scopes are not nested: publish alone does not read; admin alone does everything.
        using var publisher = App.WithKey(await Admin.CreateKeyAsync("writer", ["publish"]));
        Assert.Equal("read", (await publisher.GetJsonAsync("/api/incidents", HttpStatusCode.Forbidden))["scope"]!.GetValue<string>());
        using var admin = App.WithKey(await Admin.CreateKeyAsync("root", ["admin"]));
        Assert.Equal(200, await admin.StatusAsync("/api/subscribers"));
        Assert.Equal(200, await admin.StatusAsync("/api/keys"));
    }

    [Fact]
    public async Task A_subscribers_key_manages_subscribers_and_reads_deliveries_but_publishes_nothing()
    {
        using var crm = App.WithKey(await Admin.CreateKeyAsync("crm-sync", ["subscribers"]));
        await crm.SubscribeAsync("ann@example.com");
        Assert.Equal(200, await crm.StatusAsync("/api/subscribers"));
        Assert.Equal(200, await crm.StatusAsync("/api/deliveries"));
        Assert.Equal(403, (await crm.PostStatusAsync("/api/incidents", new { title = "x", message = "y" })).Status);
    }
}
