using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CommsHub.Testing;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Api;

/// <summary>
/// Request bodies are read strictly: a field the endpoint does not know, a control character in
/// text, or a time without an offset is a 400 naming the field, and nothing is stored.
/// </summary>
public sealed partial class StrictInputTests : SqliteAppTest
{
    private async Task<JsonNode> SendAsync(HttpMethod method, string path, string json, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await Admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }

    private Task<JsonNode> RefusedAsync(string path, string json, HttpMethod? method = null) =>
        SendAsync(method ?? HttpMethod.Post, path, json, HttpStatusCode.BadRequest);

    private static string Error(JsonNode problem, string field)
    {
        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), $"errors has no '{field}': {errors.ToJsonString()}");
        return errors[field]![0]!.GetValue<string>();
    }

    private static string Json(object value) => JsonSerializer.Serialize(value);

    [Fact]
    public async Task A_misspelt_field_is_refused_with_the_field_it_meant_and_nothing_is_stored()
    {
        var problem = await RefusedAsync("/api/incidents", """{"title":"x","message":"y","impcat":"critical"}""");

        Assert.Equal(400, problem["status"]!.GetValue<int>());
        Assert.Equal("'impcat' is not a field of this request; did you mean 'impact'?", Error(problem, "impcat"));
        Assert.Empty((await Admin.GetJsonAsync("/api/incidents")).AsArray());
        Assert.Equal(0, await WithDbAsync(db => db.OutboxMessages.CountAsync()));
    }

    [Fact]
    public async Task A_misspelt_field_inside_a_list_is_named_by_its_path()
    {
        var problem = await RefusedAsync("/api/incidents",
            $$"""{"title":"x","message":"y","components":[{"id":"{{Guid.CreateVersion7()}}","stauts":"major_outage"}]}""");

        Assert.Equal("'stauts' is not a field of components[0]; did you mean 'status'?", Error(problem, "components[0].stauts"));
        Assert.Empty((await Admin.GetJsonAsync("/api/incidents")).AsArray());
    }

    [Fact]
    public async Task A_field_like_no_other_lists_the_fields_there_are()
    {
        var problem = await RefusedAsync("/api/components", """{"name":"Streaming","colour":"red"}""");

        Assert.Equal("'colour' is not a field of this request; its fields are: name, description, group, status, position.", Error(problem, "colour"));
        Assert.Empty((await Admin.GetJsonAsync("/api/components")).AsArray());
    }

    [Fact]
    public async Task Field_names_still_match_whatever_their_case()
    {
        var incident = await SendAsync(HttpMethod.Post, "/api/incidents", """{"Title":"x","MESSAGE":"y","impact":"minor"}""", HttpStatusCode.Created);
        Assert.Equal("x", incident["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_update_with_pasted_terminal_colours_is_refused_with_the_position_and_nothing_is_stored()
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        var id = incident["id"]!.GetValue<string>();

        var problem = await RefusedAsync($"/api/incidents/{id}/updates", Json(new { message = "Error: \u001b[31mfailed\u001b[0m" }));

        Assert.Equal("message contains the control character U+001B (ESC) at character 8 (counting from 1); "
            + "only tab, line feed and carriage return are allowed.", Error(problem, "message"));
        Assert.Single((await Admin.GetJsonAsync($"/api/incidents/{id}"))["updates"]!.AsArray());
        Assert.Equal(1, await WithDbAsync(db => db.IncidentUpdates.CountAsync()));
    }

    public static TheoryData<string, string, string> ControlCharacters => new()
    {
        { "/api/incidents", Json(new { title = "Bad\0title", message = "m" }), "title" },
        { "/api/incidents", Json(new { title = "t", message = "ding\u0007" }), "message" },
        { "/api/incidents", Json(new { title = "t\u007F", message = "m" }), "title" },
        { "/api/components", Json(new { name = "Stream\u001bing" }), "name" },
        { "/api/components", Json(new { name = "Streaming", description = "form\ffeed" }), "description" },
        { "/api/maintenances", Json(new { title = "Upgrade\u000B", message = "m", components = Array.Empty<string>(),
            scheduledFor = DateTimeOffset.UtcNow.AddDays(2), scheduledUntil = DateTimeOffset.UtcNow.AddDays(3) }), "title" },
        { "/api/subscribers", Json(new { email = "a@example.com\u0000" }), "email" },
    };

    [Theory]
    [MemberData(nameof(ControlCharacters))]
    public async Task A_control_character_in_any_text_is_refused_naming_the_field(string path, string json, string field)
    {
        var problem = await RefusedAsync(path, json);

        Assert.StartsWith($"{field} contains the control character U+00", Error(problem, field));
        Assert.Equal(0, await WithDbAsync(db => db.Incidents.CountAsync()));
        Assert.Equal(0, await WithDbAsync(db => db.Components.CountAsync()));
        Assert.Equal(0, await WithDbAsync(db => db.Subscribers.CountAsync()));
    }

    [Fact]
    public async Task A_control_character_in_a_component_rename_changes_nothing()
    {
        var id = await Admin.CreateComponentAsync("Streaming");

        var problem = await RefusedAsync($"/api/components/{id}", Json(new { name = "Stream\u0008ing" }), HttpMethod.Patch);

        Assert.Equal("name contains the control character U+0008 (BS) at character 7 (counting from 1); "
            + "only tab, line feed and carriage return are allowed.", Error(problem, "name"));
        Assert.Equal("Streaming", (await Admin.GetJsonAsync($"/api/components/{id}"))["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_control_character_sent_raw_instead_of_escaped_is_not_json_and_the_answer_says_where()
    {
        var problem = await RefusedAsync("/api/incidents", "{\"title\":\"Bad\u001b[31m\",\"message\":\"m\"}");

        Assert.Equal("The body is not valid JSON at line 1, byte 14: '0x1B' is invalid within a JSON string. The string should be correctly escaped.",
            Error(problem, "title"));
        Assert.Equal(0, await WithDbAsync(db => db.Incidents.CountAsync()));
    }

    [Fact]
    public async Task Tab_line_feed_and_carriage_return_are_kept()
    {
        const string Message = "Steps:\r\n\t1. restart\n\t2. wait";
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Outage\tEU", message = Message });

        var stored = await Admin.GetJsonAsync($"/api/incidents/{incident["id"]!.GetValue<string>()}");
        Assert.Equal("Outage\tEU", stored["title"]!.GetValue<string>());
        Assert.Equal(Message, stored["updates"]![0]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_time_without_an_offset_is_refused_with_an_example_that_has_one()
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        var id = incident["id"]!.GetValue<string>();

        var problem = await RefusedAsync($"/api/incidents/{id}/updates", """{"message":"Fixed","publishAt":"2026-12-06T10:00:00"}""");

        Assert.Equal("publishAt has no UTC offset: write it with Z or +hh:mm, e.g. 2026-12-06T10:00:00Z.", Error(problem, "publishAt"));
        Assert.Empty((await Admin.GetJsonAsync($"/api/incidents/{id}/scheduled-updates")).AsArray());
    }

    [Fact]
    public async Task A_maintenance_window_without_an_offset_is_refused()
    {
        var component = await Admin.CreateComponentAsync("Streaming");
        var problem = await RefusedAsync("/api/maintenances",
            $$"""{"title":"Upgrade","message":"m","components":["{{component}}"],"scheduledFor":"2030-01-02T10:00","scheduledUntil":"2030-01-02T12:00:00Z"}""");

        Assert.Equal("scheduledFor has no UTC offset: write it with Z or +hh:mm, e.g. 2030-01-02T10:00:00Z.", Error(problem, "scheduledFor"));
        Assert.False(problem["errors"]!.AsObject().ContainsKey("scheduledUntil"));
        Assert.Equal(0, await WithDbAsync(db => db.Incidents.CountAsync()));
    }

    [Fact]
    public async Task A_time_that_is_not_a_time_says_how_to_write_one()
    {
        var component = await Admin.CreateComponentAsync("Streaming");
        var problem = await RefusedAsync("/api/maintenances",
            $$"""{"title":"Upgrade","message":"m","components":["{{component}}"],"scheduledFor":"tomorrow","scheduledUntil":"2030-01-02T12:00:00Z"}""");

        Assert.Equal("scheduledFor is not a date and time: write ISO 8601 with an offset, e.g. 2026-12-06T10:00:00Z.", Error(problem, "scheduledFor"));
    }

    [Fact]
    public async Task A_time_with_an_offset_is_taken_as_that_instant()
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        var id = incident["id"]!.GetValue<string>();
        var local = DateTimeOffset.UtcNow.AddDays(1).ToOffset(TimeSpan.FromHours(2));
        var written = local.ToString("yyyy-MM-dd'T'HH:mm:ss'+02:00'", System.Globalization.CultureInfo.InvariantCulture);

        var scheduled = await SendAsync(HttpMethod.Post, $"/api/incidents/{id}/updates", $$"""{"message":"Fixed","publishAt":"{{written}}"}""",
            HttpStatusCode.Accepted);

        var publishAt = DateTimeOffset.Parse(scheduled["publishAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(DateTimeOffset.Parse(written, System.Globalization.CultureInfo.InvariantCulture), publishAt);
        // Stored and read back through its own serializer settings: the scheduled update still lists.
        var listed = await Admin.GetJsonAsync($"/api/incidents/{id}/scheduled-updates");
        Assert.Equal("Fixed", listed[0]!["request"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_json_endpoint_refuses_a_field_it_does_not_know()
    {
        var endpoints = App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Endpoint: e, Method: m)))
            .Where(x => x.Method is "POST" or "PATCH" or "PUT"
                && x.Endpoint.Metadata.GetMetadata<IAcceptsMetadata>() is { RequestType: not null } accepts
                && accepts.ContentTypes.Contains("application/json"))
            .Select(x => (x.Method, Path: RouteParameter().Replace(x.Endpoint.RoutePattern.RawText!, _ => Guid.CreateVersion7().ToString())))
            .Distinct()
            .ToList();
        Assert.Contains(endpoints, e => e is ("POST", "/api/incidents/"));
        Assert.Contains(endpoints, e => e.Method == "PATCH" && e.Path.StartsWith("/api/components/", StringComparison.Ordinal));
        Assert.Contains(endpoints, e => e is ("POST", "/api/public/subscriptions"));

        var failures = new List<string>();
        foreach (var (method, path) in endpoints)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path)
            {
                Content = new StringContent("""{"strayField":1}""", Encoding.UTF8, "application/json"),
            };
            using var response = await Admin.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.BadRequest || !text.Contains("'strayField' is not a field of this request", StringComparison.Ordinal))
            {
                failures.Add($"{method} {path}: {(int)response.StatusCode} {text}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex RouteParameter();
}
