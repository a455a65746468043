using System.Net;
using System.Text.Json.Nodes;
using CommsHub.Api.Website;
using CommsHub.Core.Messaging;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using CommsHub.Tests.StatusPage;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Website;

/// <summary>One public resource whose renderer fails: the others stay current, it keeps its last good version, operators are told once.</summary>
public sealed class ResourceIsolationTests : SqliteAppTest
{
    [Fact]
    public async Task A_failing_feed_keeps_its_last_good_version_while_status_json_shows_a_later_critical_incident_and_one_alert_is_raised()
    {
        using var client = App.CreateClient();
        var component = await Admin.CreateComponentAsync("Checkout");
        var first = (await Admin.PostAsync("/api/incidents", new { title = "Slow logins", message = "Investigating.", impact = "minor" }))["id"]!.GetValue<string>();
        await Eventually.HoldsAsync(async () => (await client.GetStringAsync("/history.atom")).Contains("Slow logins", StringComparison.Ordinal),
            "the feed shows the first incident");
        var lastGood = await client.GetStringAsync("/history.atom");

        var snapshot = App.Services.GetRequiredService<StatusSnapshot>();
        snapshot.BeforeRender = path =>
        {
            if (path == "/history.atom")
            {
                throw new InvalidOperationException("The Atom writer broke");
            }
        };
        await Admin.PostAsync("/api/incidents", new
        {
            title = "Checkout down", message = "Nobody can pay.", impact = "critical",
            components = new[] { new { id = component, status = "major_outage" } },
        });

        await Eventually.HoldsAsync(async () => Indicator(await client.GetJsonAsync("/api/v2/status.json")) == "critical",
            "status.json shows the critical incident published after the feed began failing");
        Assert.Contains("Checkout down", await client.GetStringAsync("/"), StringComparison.Ordinal);
        Assert.Contains("Checkout down", await client.GetStringAsync("/history.rss"), StringComparison.Ordinal);
        using (var atom = await client.GetAsync("/history.atom"))
        {
            Assert.Equal(HttpStatusCode.OK, atom.StatusCode);
            var body = await atom.Content.ReadAsStringAsync();
            Assert.Equal(lastGood, body);
            HostileText.Xml(body);
        }
        await Eventually.HoldsAsync(async () => (await AlertsAsync(PoisonAlerts.PublicResourceFailed)).Count == 1, "the failure is alerted");
        var alert = (await AlertsAsync(PoisonAlerts.PublicResourceFailed)).Single();
        Assert.Equal("/history.atom", alert["subject"]!.GetValue<string>());
        Assert.Equal("The Atom writer broke", alert["data"]!["exceptionMessage"]!.GetValue<string>());
        Assert.True(alert["data"]!["servingLastGood"]!.GetValue<bool>());

        // More rebuilds while it still fails: no second alert.
        await Admin.PostAsync($"/api/incidents/{first}/updates", new { message = "Still looking.", status = "identified" });
        await Eventually.HoldsAsync(async () => (await client.GetStringAsync("/history.rss")).Contains("Still looking.", StringComparison.Ordinal),
            "the other feed follows the new update");
        Assert.Single(await AlertsAsync(PoisonAlerts.PublicResourceFailed));
        Assert.Equal(lastGood, await client.GetStringAsync("/history.atom"));

        snapshot.BeforeRender = null;
        await Admin.PostAsync($"/api/incidents/{first}/updates", new { message = "Fixed.", status = "resolved" });
        await Eventually.HoldsAsync(async () => (await client.GetStringAsync("/history.atom")).Contains("Checkout down", StringComparison.Ordinal),
            "the feed builds again");
        await Eventually.HoldsAsync(async () => (await AlertsAsync(PoisonAlerts.PublicResourceRecovered)).Count == 1, "the recovery is recorded");
        Assert.Single(await AlertsAsync(PoisonAlerts.PublicResourceFailed));
    }

    [Fact]
    public async Task An_incident_page_that_stops_rendering_keeps_its_last_good_version()
    {
        using var client = App.CreateClient();
        var id = (await Admin.PostAsync("/api/incidents", new { title = "Slow logins", message = "Investigating.", impact = "minor" }))["id"]!.GetValue<string>();
        var path = $"/incidents/{id}";
        await Eventually.HoldsAsync(async () => (await client.GetAsync(path)).StatusCode == HttpStatusCode.OK, "the incident has its page");
        var lastGood = await client.GetStringAsync(path);

        var snapshot = App.Services.GetRequiredService<StatusSnapshot>();
        snapshot.BeforeRender = p =>
        {
            if (p == path)
            {
                throw new InvalidOperationException("The page broke");
            }
        };
        await Admin.PostAsync($"/api/incidents/{id}/updates", new { message = "Found it.", status = "identified" });
        await Eventually.HoldsAsync(async () => (await client.GetStringAsync("/")).Contains("Found it.", StringComparison.Ordinal), "the home page follows");

        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(lastGood, await response.Content.ReadAsStringAsync());
        await Eventually.HoldsAsync(async () => (await AlertsAsync(PoisonAlerts.PublicResourceFailed)).Any(a => a["subject"]!.GetValue<string>() == path),
            "the page's failure is alerted");
        using var unknown = await client.GetAsync($"/incidents/{Guid.CreateVersion7()}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    private static string Indicator(JsonNode status) => status["status"]!["indicator"]!.GetValue<string>();

    private async Task<List<JsonNode>> AlertsAsync(string action) =>
        [.. (await Admin.GetJsonAsync("/api/alerts"))["items"]!.AsArray().Select(a => a!).Where(a => a["action"]!.GetValue<string>() == action)];
}
