using CommsHub.Testing;

namespace CommsHub.Tests.Api;

public sealed class IncidentResponseTests : SqliteAppTest
{
    [Fact]
    public async Task Creating_an_incident_answers_with_each_update_and_component_once()
    {
        var playback = await Admin.CreateComponentAsync("Playback");
        var signIn = await Admin.CreateComponentAsync("Sign-in");

        var created = await Admin.PostAsync("/api/incidents", new
        {
            title = "Playback outage",
            message = "Investigating",
            components = new[] { new { id = playback, status = "major_outage" }, new { id = signIn, status = "degraded_performance" } },
        });

        var update = Assert.Single(created["updates"]!.AsArray());
        Assert.Equal("Investigating", update!["message"]!.GetValue<string>());
        var components = created["components"]!.AsArray().Select(c => (c!["id"]!.GetValue<string>(), c["status"]!.GetValue<string>())).ToList();
        Assert.Equal(2, components.Count);
        Assert.Contains((playback, "major_outage"), components);
        Assert.Contains((signIn, "degraded_performance"), components);

        // The answer says what is stored.
        var id = created["id"]!.GetValue<string>();
        var stored = await Admin.GetJsonAsync($"/api/incidents/{id}");
        Assert.Single(stored["updates"]!.AsArray());
        Assert.Equal(2, stored["components"]!.AsArray().Count);
    }
}
