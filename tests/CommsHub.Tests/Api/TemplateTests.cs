using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CommsHub.Testing;

namespace CommsHub.Tests.Api;

/// <summary>Incident templates, and incidents started from one.</summary>
public sealed class TemplateTests : SqliteAppTest
{
    private static string Id(JsonNode node) => node["id"]!.GetValue<string>();

    private static string Text(JsonNode? node) => node!.GetValue<string>();

    // Distinct: the create answer has listed each component twice (being fixed on its own).
    private static List<string> ComponentIds(JsonNode incident) => [.. incident["components"]!.AsArray().Select(c => Text(c!["id"])).Distinct()];

    private async Task<JsonNode> OutageTemplateAsync(string component) => await Admin.PostAsync("/api/templates", new
    {
        name = "Playback outage", title = "Video playback is failing", message = "Most viewers cannot start videos. We are investigating.",
        status = "identified", impact = "major", components = new[] { new { id = component, status = "major_outage" } },
    });

    [Fact]
    public async Task Templates_are_created_listed_by_name_read_and_deleted()
    {
        var streaming = await Admin.CreateComponentAsync("Streaming");
        using var response = await Admin.PostAsJsonAsync("/api/templates", new { name = "Zebra", title = "Z", message = "z" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var zebra = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal($"/api/templates/{Id(zebra)}", response.Headers.Location!.OriginalString);
        Assert.Null(zebra["status"]);
        Assert.Null(zebra["impact"]);
        Assert.Empty(zebra["components"]!.AsArray());
        Assert.NotNull(zebra["createdAt"]);

        var outage = await OutageTemplateAsync(streaming);
        Assert.Equal("identified", Text(outage["status"]));
        Assert.Equal("major", Text(outage["impact"]));
        Assert.Equal(streaming, Text(outage["components"]![0]!["id"]));
        Assert.Equal("major_outage", Text(outage["components"]![0]!["status"]));

        var list = await Admin.GetJsonAsync("/api/templates");
        Assert.Equal(["Playback outage", "Zebra"], list.AsArray().Select(t => Text(t!["name"])));
        Assert.Equal("Video playback is failing", Text((await Admin.GetJsonAsync($"/api/templates/{Id(outage)}"))["title"]));

        Assert.Equal(HttpStatusCode.NoContent, (await Admin.DeleteAsync($"/api/templates/{Id(zebra)}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Admin.DeleteAsync($"/api/templates/{Id(zebra)}")).StatusCode);
        await Admin.GetJsonAsync($"/api/templates/{Id(zebra)}", HttpStatusCode.NotFound);
        Assert.Single((await Admin.GetJsonAsync("/api/templates")).AsArray());
    }

    [Fact]
    public async Task A_second_template_of_the_same_name_is_refused_with_the_first_ones_id()
    {
        var first = await Admin.PostAsync("/api/templates", new { name = "Maintenance overrun", title = "t", message = "m" });
        var problem = await Admin.PostAsync("/api/templates", new { name = " maintenance OVERRUN", title = "t2", message = "m2" }, HttpStatusCode.Conflict);
        Assert.Equal(Id(first), Text(problem["existingId"]));
    }

    [Fact]
    public async Task A_template_is_validated_as_an_incident_would_be()
    {
        var problem = await Admin.PostAsync("/api/templates", new
        {
            name = "", title = new string('t', 501), status = "scheduled", impact = "huge",
            components = new[] { new { id = Guid.CreateVersion7().ToString(), status = "major_outage" } },
        }, HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsObject();
        Assert.Equal(["components[0].id", "impact", "message", "name", "status", "title"], errors.Select(e => e.Key).Order());
    }

    [Fact]
    public async Task An_incident_starts_from_a_template_and_fields_given_in_the_call_win()
    {
        var streaming = await Admin.CreateComponentAsync("Streaming");
        var billing = await Admin.CreateComponentAsync("Billing");
        var template = await OutageTemplateAsync(streaming);

        var plain = await Admin.PostAsync("/api/incidents", new { templateId = Id(template) });
        Assert.Equal("Video playback is failing", Text(plain["title"]));
        Assert.Equal("identified", Text(plain["status"]));
        Assert.Equal("major", Text(plain["impact"]));
        Assert.Equal("Most viewers cannot start videos. We are investigating.", Text(plain["updates"]![0]!["message"]));
        Assert.Equal([streaming], ComponentIds(plain));
        Assert.Equal("major_outage", Text((await Admin.GetJsonAsync($"/api/components/{streaming}"))["status"]));

        var overridden = await Admin.PostAsync("/api/incidents", new
        {
            templateId = Id(template), title = "Billing is failing", impact = "minor",
            components = new[] { new { id = billing, status = "partial_outage" } },
        });
        Assert.Equal("Billing is failing", Text(overridden["title"]));
        Assert.Equal("minor", Text(overridden["impact"]));
        Assert.Equal("identified", Text(overridden["status"]));
        Assert.Equal("Most viewers cannot start videos. We are investigating.", Text(overridden["updates"]![0]!["message"]));
        Assert.Equal([billing], ComponentIds(overridden));
    }

    [Fact]
    public async Task An_unknown_template_is_a_field_error_and_nothing_is_stored()
    {
        var problem = await Admin.PostAsync("/api/incidents", new { templateId = Guid.CreateVersion7(), title = "t", message = "m" }, HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["templateId"]);
        Assert.Empty((await Admin.GetJsonAsync("/api/incidents?state=all")).AsArray());
    }
}
