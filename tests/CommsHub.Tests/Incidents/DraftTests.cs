using System.Net;
using CommsHub.Testing;

namespace CommsHub.Tests.Incidents;

public sealed class DraftTests : IncidentApiTest
{
    [Fact]
    public async Task A_draft_is_on_no_public_surface_and_sends_nothing_until_it_is_published()
    {
        var streaming = await Admin.CreateComponentAsync("Streaming");
        await Admin.SubscribeAsync("ann@example.com");
        var draft = await Admin.PostAsync("/api/incidents", new
        {
            title = "Playback outage", message = "We are investigating.", impact = "critical", draft = true,
            components = new[] { new { id = streaming, status = "major_outage" } },
        });
        var id = Id(draft);
        Assert.True(draft["draft"]!.GetValue<bool>());
        Assert.Empty(draft["updates"]!.AsArray());
        Assert.Equal("We are investigating.", draft["draftUpdate"]!["message"]!.GetValue<string>());
        Assert.Equal("operational", (await Admin.GetJsonAsync($"/api/components/{streaming}"))["status"]!.GetValue<string>());

        // Something published after the draft reaches the page and its subscriber: the draft, written before it, did neither.
        var other = await Admin.PostAsync("/api/incidents", new { title = "Slow search", message = "Looking into it." });
        await SettledDeliveriesAsync($"incidentId={Id(other)}", 1);
        await PublicEventuallyAsync("/api/v2/incidents.json", b => b.Contains(Id(other), StringComparison.Ordinal), "lists the published incident");
        Assert.DoesNotContain(id, (await PublicAsync("/api/v2/incidents.json")).Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Playback outage", (await PublicAsync("/")).Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Playback outage", (await PublicAsync("/history.atom")).Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await PublicAsync($"/incidents/{id}")).Status);
        Assert.Equal("none", JsonNodeOf((await PublicAsync("/api/v2/status.json")).Body)["status"]!["indicator"]!.GetValue<string>());
        Assert.Empty(await Admin.AllDeliveriesAsync($"incidentId={id}"));
        await Admin.PostAsync($"/api/incidents/{id}/updates", new { message = "More." }, HttpStatusCode.Conflict);

        var published = await Admin.PostAsync($"/api/incidents/{id}/publish", new { }, HttpStatusCode.OK);
        Assert.False(published["draft"]!.GetValue<bool>());
        Assert.Null(published["draftUpdate"]);
        var update = Assert.Single(published["updates"]!.AsArray());
        Assert.Equal("We are investigating.", update!["message"]!.GetValue<string>());
        Assert.Equal("ann@example.com", (await SettledDeliveriesAsync($"incidentId={id}", 1)).Single()["recipient"]!.GetValue<string>());
        Assert.Equal("major_outage", (await Admin.GetJsonAsync($"/api/components/{streaming}"))["status"]!.GetValue<string>());
        await PublicEventuallyAsync("/api/v2/status.json", b => b.Contains("\"critical\"", StringComparison.Ordinal), "says critical");

        // Published once only.
        await Admin.PostAsync($"/api/incidents/{id}/publish", new { }, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task A_draft_can_be_rewritten_before_it_is_published_and_is_revalidated_then()
    {
        var draft = await Admin.PostAsync("/api/incidents", new { title = "Playback outage", message = "First words.", draft = true });
        var id = Id(draft);
        var changed = await PatchAsync($"/api/incidents/{id}", new { title = "Playback outage in Europe", message = "Better words.", impact = "major" });
        Assert.Equal("Playback outage in Europe", changed["title"]!.GetValue<string>());
        Assert.Equal("Better words.", changed["draftUpdate"]!["message"]!.GetValue<string>());
        Assert.True(changed["draft"]!.GetValue<bool>());
        Assert.Null(changed["editedAt"]); // not published: nothing to mark as edited

        var problem = await PatchAsync($"/api/incidents/{id}", new { status = "paused" }, HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["status"]);

        var published = await Admin.PostAsync($"/api/incidents/{id}/publish", new { }, HttpStatusCode.OK);
        Assert.Equal("Better words.", published["updates"]![0]!["message"]!.GetValue<string>());
        Assert.Equal("major", published["impact"]!.GetValue<string>());
    }

    [Fact]
    public async Task Deleting_a_draft_discards_it()
    {
        var id = Id(await Admin.PostAsync("/api/incidents", new { title = "Test", message = "Test.", draft = true }));
        Assert.Single((await Admin.GetJsonAsync("/api/incidents?state=draft")).AsArray());
        await DeleteAsync($"/api/incidents/{id}");
        await Admin.GetJsonAsync($"/api/incidents/{id}", HttpStatusCode.NotFound);
        await Admin.PostAsync($"/api/incidents/{id}/publish", new { }, HttpStatusCode.NotFound);
    }

    private static System.Text.Json.Nodes.JsonNode JsonNodeOf(string json) => System.Text.Json.Nodes.JsonNode.Parse(json)!;
}
