using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CommsHub.Testing;

namespace CommsHub.Tests.Api;

/// <summary>Tidying components: delete, order within a group, one name per group.</summary>
public sealed class ComponentTests : SqliteAppTest
{
    private static string Id(JsonNode node) => node["id"]!.GetValue<string>();

    private async Task<string> CreateAsync(string name, string? group = null) =>
        Id(await Admin.PostAsync("/api/components", new { name, group }));

    private async Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await Admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text.Length == 0 ? "{}" : text)!);
    }

    private async Task<List<string>> AdminNamesAsync() =>
        [.. (await Admin.GetJsonAsync("/api/components")).AsArray().Select(c => c!["name"]!.GetValue<string>())];

    /// <summary>The names of components.json, groups included, in its order, once the snapshot shows <paramref name="until"/>.</summary>
    private async Task<List<string>> PublicNamesAsync(Func<List<string>, bool> until, string description)
    {
        using var client = App.CreateClient();
        List<string> names = [];
        await Eventually.HoldsAsync(async () =>
        {
            var document = await client.GetJsonAsync("/api/v2/components.json");
            names = [.. document["components"]!.AsArray().OrderBy(c => c!["position"]!.GetValue<int>()).Select(c => c!["name"]!.GetValue<string>())];
            return until(names);
        }, description, TimeSpan.FromSeconds(20));
        return names;
    }

    [Fact]
    public async Task A_deleted_component_is_gone_from_the_admin_list_the_public_api_and_the_page()
    {
        var keep = await CreateAsync("Billing");
        var gone = await CreateAsync("Old search");
        await PublicNamesAsync(n => n.Contains("Old search"), "components.json lists the component");

        var (status, _) = await SendAsync(HttpMethod.Delete, $"/api/components/{gone}");
        Assert.Equal(HttpStatusCode.NoContent, status);

        Assert.Equal(["Billing"], await AdminNamesAsync());
        await Admin.GetJsonAsync($"/api/components/{gone}", HttpStatusCode.NotFound);
        await PublicNamesAsync(n => !n.Contains("Old search"), "components.json no longer lists the deleted component");
        using var client = App.CreateClient();
        Assert.DoesNotContain("Old search", await client.GetStringAsync("/"));
        Assert.Equal(1, (await Admin.GetJsonAsync($"/api/components/{keep}"))["position"]!.GetValue<int>());

        // Gone for good: a second delete, a change and a subscription to it are all refused.
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Delete, $"/api/components/{gone}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Patch, $"/api/components/{gone}", new { name = "Back" })).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Delete, $"/api/components/{Guid.CreateVersion7()}")).Status);
        var refused = await Admin.PostAsync("/api/subscribers", new { email = "ann@example.com", confirmed = true, components = new[] { gone } },
            HttpStatusCode.BadRequest);
        Assert.NotNull(refused["errors"]);
    }

    [Fact]
    public async Task An_open_incident_that_names_a_component_keeps_it_until_resolved_and_then_still_names_it()
    {
        var streaming = await CreateAsync("Streaming");
        var incident = await Admin.PostAsync("/api/incidents", new
        {
            title = "Playback outage", message = "Investigating", components = new[] { new { id = streaming, status = "major_outage" } },
        });
        var incidentId = Id(incident);

        var (status, problem) = await SendAsync(HttpMethod.Delete, $"/api/components/{streaming}");
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal(incidentId, problem["incidentId"]!.GetValue<string>());
        Assert.Equal("Playback outage", problem["incidentTitle"]!.GetValue<string>());
        Assert.Contains("Playback outage", problem["detail"]!.GetValue<string>());
        Assert.Contains(incidentId, problem["detail"]!.GetValue<string>());
        Assert.Single(await AdminNamesAsync());

        await Admin.PostAsync($"/api/incidents/{incidentId}/updates", new
        {
            message = "Fixed.", status = "resolved", components = new[] { new { id = streaming, status = "operational" } },
        });
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/components/{streaming}")).Status);
        Assert.Empty(await AdminNamesAsync());

        // The past incident still says what it touched.
        using var client = App.CreateClient();
        // The page appears with the snapshot's next build: wait for it, a 404 until then.
        await Eventually.HoldsAsync(async () =>
            {
                using var response = await client.GetAsync($"/incidents/{incidentId}");
                return response.IsSuccessStatusCode
                       && (await response.Content.ReadAsStringAsync()).Contains("Streaming: Major outage → Operational", StringComparison.Ordinal);
            },
            "the incident's page still names the deleted component");
        var incidents = await client.GetJsonAsync("/api/v2/incidents.json");
        var touched = incidents["incidents"]!.AsArray().Single()!["components"]!.AsArray();
        Assert.Equal("Streaming", touched.Single()!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_maintenance_not_completed_keeps_its_components_until_it_is_cancelled()
    {
        var database = await CreateAsync("Database");
        var start = DateTimeOffset.UtcNow.AddDays(1);
        var maintenance = await Admin.PostAsync("/api/maintenances", new
        {
            title = "Database upgrade", message = "Read-only for an hour.", components = new[] { database },
            scheduledFor = start, scheduledUntil = start.AddHours(1),
        });

        var (status, problem) = await SendAsync(HttpMethod.Delete, $"/api/components/{database}");
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal(Id(maintenance), problem["maintenanceId"]!.GetValue<string>());
        Assert.Equal("Database upgrade", problem["maintenanceTitle"]!.GetValue<string>());
        Assert.Contains("Database upgrade", problem["detail"]!.GetValue<string>());

        await Admin.PostAsync($"/api/maintenances/{Id(maintenance)}/cancel", new { }, HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/components/{database}")).Status);
    }

    [Fact]
    public async Task Position_orders_components_within_their_group_and_the_group_closes_up()
    {
        var api = await CreateAsync("API", "Core");
        var web = await CreateAsync("Website", "Core");
        await CreateAsync("Status", null);
        var auth = await CreateAsync("Auth", "Core");
        Assert.Equal(["API", "Website", "Auth", "Status"], await AdminNamesAsync());

        var moved = await SendAsync(HttpMethod.Patch, $"/api/components/{auth}", new { position = 1 });
        Assert.Equal(HttpStatusCode.OK, moved.Status);
        Assert.Equal(1, moved.Body["position"]!.GetValue<int>());
        Assert.Equal(["Auth", "API", "Website", "Status"], await AdminNamesAsync());
        var positions = (await Admin.GetJsonAsync("/api/components")).AsArray()
            .ToDictionary(c => c!["name"]!.GetValue<string>(), c => c!["position"]!.GetValue<int>());
        Assert.Equal(new Dictionary<string, int> { ["Auth"] = 1, ["API"] = 2, ["Website"] = 3, ["Status"] = 1 }, positions);
        await PublicNamesAsync(n => n.SequenceEqual(["Core", "Auth", "API", "Website", "Status"]), "components.json has the group in the new order");

        // Past the end: last. Deleting closes the gap.
        await SendAsync(HttpMethod.Patch, $"/api/components/{api}", new { position = 99 });
        Assert.Equal(["Auth", "Website", "API", "Status"], await AdminNamesAsync());
        await SendAsync(HttpMethod.Delete, $"/api/components/{web}");
        Assert.Equal(2, (await Admin.GetJsonAsync($"/api/components/{api}"))["position"]!.GetValue<int>());

        // Moved to another group without a position: last of that group.
        var moving = await SendAsync(HttpMethod.Patch, $"/api/components/{auth}", new { group = "" });
        Assert.Equal(2, moving.Body["position"]!.GetValue<int>());
        Assert.Equal(1, (await Admin.GetJsonAsync($"/api/components/{api}"))["position"]!.GetValue<int>());

        var invalid = await SendAsync(HttpMethod.Patch, $"/api/components/{api}", new { position = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.Status);
        Assert.NotNull(invalid.Body["errors"]!["position"]);
    }

    [Fact]
    public async Task A_second_component_of_the_same_name_in_a_group_is_refused_with_the_first_ones_id()
    {
        var first = await CreateAsync("Checkout", "Shop");
        var problem = await Admin.PostAsync("/api/components", new { name = "  checkout ", group = "Shop" }, HttpStatusCode.Conflict);
        Assert.Equal(first, problem["existingId"]!.GetValue<string>());

        // Another group, or none, is another place on the page.
        var elsewhere = await CreateAsync("Checkout", "Mobile");
        var ungrouped = await CreateAsync("Checkout");
        Assert.Equal(3, (await Admin.GetJsonAsync("/api/components")).AsArray().Count);

        // Renaming or regrouping into a clash is refused the same way, and changes nothing.
        var renamed = await SendAsync(HttpMethod.Patch, $"/api/components/{ungrouped}", new { name = "Checkout", group = "Shop" });
        Assert.Equal(HttpStatusCode.Conflict, renamed.Status);
        Assert.Equal(first, renamed.Body["existingId"]!.GetValue<string>());
        Assert.Null((await Admin.GetJsonAsync($"/api/components/{ungrouped}"))["group"]);
        var other = await CreateAsync("Payments", "Mobile");
        var clash = await SendAsync(HttpMethod.Patch, $"/api/components/{other}", new { name = "CHECKOUT" });
        Assert.Equal(HttpStatusCode.Conflict, clash.Status);
        Assert.Equal(elsewhere, clash.Body["existingId"]!.GetValue<string>());

        // Its own name, in another case, is no clash; and a deleted component's name is free again.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Patch, $"/api/components/{first}", new { name = "CheckOut" })).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/components/{first}")).Status);
        await CreateAsync("Checkout", "Shop");
    }
}
