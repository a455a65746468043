using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Api;

public sealed class ValidationTests : SqliteAppTest
{
    private async Task<JsonNode> ProblemAsync(string path, string json, HttpStatusCode expected = HttpStatusCode.BadRequest, string contentType = "application/json")
    {
        using var response = await Admin.PostAsync(path, new StringContent(json, Encoding.UTF8, contentType));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!;
    }

    private async Task AssertNothingStoredAsync()
    {
        Assert.Equal(0, await WithDbAsync(db => db.Incidents.CountAsync()));
        Assert.Equal(0, await WithDbAsync(db => db.IncidentUpdates.CountAsync()));
        Assert.Equal(0, await WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.MessageType == typeof(CommsHub.Contracts.IncidentUpdatePublished).FullName)));
    }

    [Fact]
    public async Task A_missing_title_is_a_field_error_and_nothing_is_stored()
    {
        var problem = await ProblemAsync("/api/incidents", """{"message":"Playback fails"}""");
        Assert.Equal(400, problem["status"]!.GetValue<int>());
        Assert.Equal("title is required.", problem["errors"]!["title"]![0]!.GetValue<string>());
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Unknown_impact_and_status_name_the_allowed_values()
    {
        var problem = await ProblemAsync("/api/incidents", """{"title":"t","message":"m","impact":"huge","status":"panicking"}""");
        Assert.Equal("'huge' must be one of: none, minor, major, critical.", problem["errors"]!["impact"]![0]!.GetValue<string>());
        Assert.Contains("investigating, identified, monitoring, resolved, postmortem", problem["errors"]!["status"]![0]!.GetValue<string>());
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task An_unknown_component_id_is_a_field_error_and_changes_nothing()
    {
        var known = await Admin.CreateComponentAsync("Streaming");
        var unknown = Guid.CreateVersion7();
        var problem = await ProblemAsync("/api/incidents",
            $$"""{"title":"t","message":"m","components":[{"id":"{{known}}","status":"major_outage"},{"id":"{{unknown}}","status":"major_outage"}]}""");
        Assert.Equal($"no component has id {unknown}.", problem["errors"]!["components[1].id"]![0]!.GetValue<string>());
        await AssertNothingStoredAsync();
        var component = await Admin.GetJsonAsync($"/api/components/{known}");
        Assert.Equal("operational", component["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_unknown_component_status_is_a_field_error()
    {
        var known = await Admin.CreateComponentAsync("Streaming");
        var problem = await ProblemAsync("/api/incidents", $$"""{"title":"t","message":"m","components":[{"id":"{{known}}","status":"down"}]}""");
        Assert.Contains("operational, degraded_performance, partial_outage, major_outage, under_maintenance",
            problem["errors"]!["components[0].status"]![0]!.GetValue<string>());
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Malformed_json_is_a_400_problem_not_a_500()
    {
        var problem = await ProblemAsync("/api/incidents", """{"title":"t","message":""");
        Assert.NotNull(problem["errors"]);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_names_its_field()
    {
        var problem = await ProblemAsync("/api/incidents", """{"title":"t","message":"m","components":[{"id":"not-an-id","status":"major_outage"}]}""");
        Assert.NotNull(problem["errors"]!["components[0].id"]);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_refused_as_unsupported()
    {
        await ProblemAsync("/api/incidents", "title=t", HttpStatusCode.UnsupportedMediaType, "application/x-www-form-urlencoded");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task An_unknown_incident_is_404_for_reads_and_updates()
    {
        var id = Guid.CreateVersion7();
        await Admin.GetJsonAsync($"/api/incidents/{id}", HttpStatusCode.NotFound);
        await Admin.PostAsync($"/api/incidents/{id}/updates", new { message = "m" }, HttpStatusCode.NotFound);
        await Admin.GetJsonAsync($"/api/updates/{id}/report", HttpStatusCode.NotFound);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_rejected_update_leaves_the_incident_as_it_was()
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        var id = incident["id"]!.GetValue<string>();
        var problem = await ProblemAsync($"/api/incidents/{id}/updates", """{"message":"","status":"fixed"}""");
        Assert.NotNull(problem["errors"]!["message"]);
        Assert.NotNull(problem["errors"]!["status"]);
        Assert.Equal(1, await WithDbAsync(db => db.IncidentUpdates.CountAsync()));
        Assert.Equal(1, await WithDbAsync(db => db.OutboxMessages.CountAsync()));
        var after = await Admin.GetJsonAsync($"/api/incidents/{id}");
        Assert.Equal("investigating", after["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Components_need_a_name_and_a_known_status()
    {
        var problem = await ProblemAsync("/api/components", """{"description":"d","status":"fine"}""");
        Assert.NotNull(problem["errors"]!["name"]);
        Assert.NotNull(problem["errors"]!["status"]);
        Assert.Equal(0, await WithDbAsync(db => db.Components.CountAsync()));
        await Admin.PostAsync($"/api/components/{Guid.CreateVersion7()}", new { }, HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task Subscribers_need_one_valid_address_and_are_unique()
    {
        var bad = await ProblemAsync("/api/subscribers", """{"email":"not-an-address"}""");
        Assert.Equal("'not-an-address' is not a valid email address.", bad["errors"]!["email"]![0]!.GetValue<string>());
        var none = await ProblemAsync("/api/subscribers", """{"confirmed":true}""");
        Assert.NotNull(none["errors"]!["email"]);
        var unknownComponent = await ProblemAsync("/api/subscribers", $$"""{"email":"a@example.com","components":["{{Guid.CreateVersion7()}}"]}""");
        Assert.NotNull(unknownComponent["errors"]!["components[0]"]);
        Assert.Equal(0, await WithDbAsync(db => db.Subscribers.CountAsync()));

        var id = await Admin.SubscribeAsync("Ann@Example.com");
        var conflict = await ProblemAsync("/api/subscribers", """{"email":"ann@example.com"}""", HttpStatusCode.Conflict);
        Assert.Equal(id, conflict["existingId"]!.GetValue<string>());
        Assert.Equal(1, await WithDbAsync(db => db.Subscribers.CountAsync()));
    }

    [Theory]
    [InlineData("/api/deliveries?channel=pigeon", "channel")]
    [InlineData("/api/deliveries?status=lost", "status")]
    [InlineData("/api/deliveries?updateId=12", "updateId")]
    [InlineData("/api/deliveries?limit=0", "limit")]
    [InlineData("/api/subscribers?status=maybe", "status")]
    [InlineData("/api/incidents?state=sleeping", "state")]
    public async Task Bad_query_parameters_are_field_errors(string path, string field)
    {
        var problem = await Admin.GetJsonAsync(path, HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]![field]);
    }
}
