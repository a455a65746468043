using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Website;

/// <summary>The public status surface, served from the in-memory snapshot.</summary>
public sealed class StatusWebsiteTests : SqliteAppTest
{
    private HttpClient Public() => App.CreateClient();

    private async Task<string> PageAsync(string path)
    {
        using var client = Public();
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private Task ShowsAsync(string path, string text) =>
        Eventually.HoldsAsync(async () => (await PageAsync(path)).Contains(text, StringComparison.Ordinal), $"{path} shows '{text}'", TimeSpan.FromSeconds(20));

    [Fact]
    public async Task The_page_tells_what_is_wrong_since_when_and_what_is_being_done()
    {
        var streaming = await Admin.PostAsync("/api/components", new { name = "Video playback", group = "Streaming" });
        await Admin.PostAsync("/api/components", new { name = "Sign-in" });
        var home = await PageAsync("/");
        Assert.Contains("All Systems Operational", home);
        Assert.Contains("<form method=\"post\" action=\"/subscribe\">", home);

        var incident = await Admin.PostAsync("/api/incidents", new
        {
            title = "Video <b>playback</b> failing", message = "Most viewers cannot start videos. We are investigating.", impact = "critical",
            components = new[] { new { id = streaming["id"]!.GetValue<string>(), status = "major_outage" } },
        });
        await ShowsAsync("/", "Major System Outage");
        home = await PageAsync("/");
        Assert.Contains("Video &lt;b&gt;playback&lt;/b&gt; failing", home);
        Assert.DoesNotContain("<b>playback</b>", home);
        Assert.Contains("Most viewers cannot start videos. We are investigating.", home);
        Assert.Contains("Critical impact", home);
        Assert.Contains("Major outage", home);           // status in words, not colour alone
        Assert.Contains("Streaming", home);              // the group
        Assert.Contains("uptime over the last", home);   // the 90-day bars, labelled

        var id = incident["id"]!.GetValue<string>();
        await Admin.PostAsync($"/api/incidents/{id}/updates", new { message = "Fix deployed; recovering.", status = "monitoring" });
        await ShowsAsync($"/incidents/{id}", "Fix deployed; recovering.");
        var timeline = await PageAsync($"/incidents/{id}");
        Assert.True(timeline.IndexOf("Fix deployed", StringComparison.Ordinal) < timeline.IndexOf("Most viewers", StringComparison.Ordinal), "newest update first");
        Assert.Contains("Video playback: Operational → Major outage", timeline);

        var history = await PageAsync("/history");
        Assert.Contains(DateTime.UtcNow.ToString("MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture), history);
        using var client = Public();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/incidents/{Guid.CreateVersion7()}")).StatusCode);
    }

    [Fact]
    public async Task Resources_carry_validators_and_a_repeat_request_is_304()
    {
        using var client = Public();
        using var first = await client.GetAsync("/api/v2/summary.json");
        var etag = first.Headers.ETag!;
        Assert.NotNull(first.Content.Headers.LastModified);
        Assert.Contains("max-age", first.Headers.CacheControl!.ToString());
        Assert.Equal("*", first.Headers.GetValues("Access-Control-Allow-Origin").Single());

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v2/summary.json");
        request.Headers.IfNoneMatch.Add(etag);
        using var second = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);

        await Admin.PostAsync("/api/components", new { name = "API" });
        await Eventually.HoldsAsync(async () =>
        {
            using var again = new HttpRequestMessage(HttpMethod.Get, "/api/v2/summary.json");
            again.Headers.IfNoneMatch.Add(etag);
            using var response = await client.SendAsync(again);
            return response.StatusCode == HttpStatusCode.OK;
        }, "a change produces a new ETag");
    }

    [Fact]
    public async Task A_rebuild_that_changes_nothing_keeps_the_etag_and_tells_no_open_page()
    {
        await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        var snapshot = App.Services.GetRequiredService<CommsHub.Api.Website.StatusSnapshot>();
        await ShowsAsync("/", "Outage");
        using var client = Public();
        var etag = (await client.GetAsync("/")).Headers.ETag;
        var version = snapshot.Version;

        snapshot.Wake();
        await Task.Delay(1000);
        Assert.Equal(version, snapshot.Version);
        Assert.Equal(etag, (await client.GetAsync("/")).Headers.ETag);
    }

    [Theory]
    [InlineData(0, 50)]       // cheap rebuilds: changes are only coalesced for a moment
    [InlineData(3, 50)]
    [InlineData(20, 200)]     // a costly rebuild waits ten times its cost, so a stream of updates keeps the CPU
    [InlineData(150, 1500)]
    [InlineData(900, 2000)]   // never more than two seconds
    public void A_rebuild_waits_in_proportion_to_what_the_last_one_cost(int lastRebuildMs, int pauseMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(pauseMs), CommsHub.Api.Website.StatusSnapshot.RebuildPause(TimeSpan.FromMilliseconds(lastRebuildMs)));
    }

    [Fact]
    public async Task A_burst_of_updates_ends_with_the_last_one_on_the_page()
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Flapping", message = "Update 0", notify = false });
        var id = incident["id"]!.GetValue<string>();
        var posts = Enumerable.Range(1, 40).Select(async i =>
        {
            using var client = App.Admin();
            using var response = await client.PostAsJsonAsync($"/api/incidents/{id}/updates", new { message = $"Update {i}", notify = false });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        });
        await Task.WhenAll(posts);
        await Eventually.HoldsAsync(async () =>
        {
            var html = await PageAsync($"/incidents/{id}");
            return Enumerable.Range(0, 41).All(i => html.Contains($"Update {i}<", StringComparison.Ordinal));
        }, "every update of the burst is on the incident's page", TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task The_statuspage_api_and_feeds_follow_a_publish()
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Slow search", message = "Looking into it", impact = "minor" });
        await Eventually.HoldsAsync(async () => JsonNode.Parse(await PageAsync("/api/v2/status.json"))!["status"]!["indicator"]!.GetValue<string>() == "minor",
            "status.json reports the incident");
        var unresolved = JsonNode.Parse(await PageAsync("/api/v2/incidents/unresolved.json"))!;
        Assert.Equal(incident["id"]!.GetValue<string>(), unresolved["incidents"]![0]!["id"]!.GetValue<string>());
        Assert.Empty(JsonNode.Parse(await PageAsync("/api/v2/scheduled-maintenances/upcoming.json"))!["scheduled_maintenances"]!.AsArray());
        Assert.Contains("Slow search", await PageAsync("/history.atom"));
        Assert.Contains("Slow search", await PageAsync("/history.rss"));
        Assert.StartsWith("BEGIN:VCALENDAR", await PageAsync("/maintenances.ics"));
        var embed = await PageAsync("/embed.js");
        Assert.Contains("/api/v2/summary.json", embed);
        Assert.Contains("https://status.test", embed);
    }

    [Fact]
    public async Task An_open_page_is_told_of_a_change_through_server_sent_events()
    {
        using var client = Public();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("event: version", await reader.ReadLineAsync());

        await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        string? line;
        do
        {
            line = await reader.ReadLineAsync(timeout.Token);
        }
        while (line is not null && line != "event: update");
        Assert.Equal("event: update", line);
    }

    [Fact]
    public async Task The_subscribe_form_works_without_javascript()
    {
        var component = await Admin.CreateComponentAsync("Streaming");
        using var client = Public();
        using var ok = await client.PostAsync("/subscribe", new FormUrlEncodedContent([new("email", "viewer@example.com"), new("components", component)]));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("open its link to confirm", await ok.Content.ReadAsStringAsync());
        var subscriber = await WithDbAsync(db => db.Subscribers.Include(s => s.Components).SingleAsync());
        Assert.Equal(SubscriberStatus.Pending, subscriber.Status);
        Assert.Equal(Guid.Parse(component), subscriber.Components.Single().ComponentId);

        using var bad = await client.PostAsync("/subscribe", new FormUrlEncodedContent([new("email", "nope")]));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("not a valid email address", await bad.Content.ReadAsStringAsync());
        Assert.Equal(1, await WithDbAsync(db => db.Subscribers.CountAsync()));
    }
}
