using CommsHub.Testing;
using CommsHub.Tests.Api;

namespace CommsHub.Tests.Auth;

public sealed class AuditActorTests : SqliteAppTest
{
    [Fact]
    public async Task An_incident_published_with_a_key_is_audited_as_that_key_and_the_audit_filters_by_actor()
    {
        using var bot = App.WithKey(await Admin.CreateKeyAsync("deploy-bot", ["publish", "read"]));
        var incident = await bot.PostAsync("/api/incidents", new { title = "Checkout errors", message = "Investigating." });
        await bot.PostAsync($"/api/incidents/{incident["id"]}/updates", new { message = "Fixed.", status = "resolved" });
        await Admin.CreateComponentAsync("API");

        var mine = (await Admin.GetJsonAsync("/api/audit?actor=key:deploy-bot"))["items"]!.AsArray();
        Assert.Equal(2, mine.Count);
        Assert.All(mine, e => Assert.Equal("key:deploy-bot", e!["actor"]!.GetValue<string>()));
        Assert.Equal(["/api/incidents/", "/api/incidents/{id:guid}/updates"], mine.Select(e => e!["data"]!["route"]!.GetValue<string>()));
        Assert.Equal($"/api/incidents/{incident["id"]}", mine[0]!["data"]!["location"]!.GetValue<string>());

        var configured = (await Admin.GetJsonAsync("/api/audit?actor=key:config-0&action=admin.post"))["items"]!.AsArray();
        Assert.Equal(["/api/keys/", "/api/components/"], configured.Select(e => e!["data"]!["route"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_correction_names_the_key_that_made_it()
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Checkout errors", message = "Investigating." });
        using var editor = App.WithKey(await Admin.CreateKeyAsync("editor", ["publish"]));
        using var response = await editor.PatchAsync($"/api/incidents/{incident["id"]}",
            new StringContent("""{"title":"Checkout errors for card payments"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        var corrected = Assert.Single((await Admin.GetJsonAsync("/api/audit?action=incident.corrected"))["items"]!.AsArray())!;
        Assert.Equal("key:editor", corrected["actor"]!.GetValue<string>());
    }
}
