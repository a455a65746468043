using System.Net;
using System.Text.Json.Nodes;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Scheduling;

/// <summary>What a maintenance request is refused for (400 with the field, 404, 409), and that a refusal stores nothing.</summary>
public sealed class MaintenanceValidationTests : FakeClockAppTest
{
    private static readonly DateTimeOffset From = T0.AddHours(2);
    private static readonly DateTimeOffset Until = T0.AddHours(4);

    private async Task<JsonObject> RefusedAsync(object body)
    {
        var errors = await FieldErrorsAsync(HttpMethod.Post, "/api/maintenances", body);
        await AssertNothingStoredAsync();
        return errors;
    }

    private async Task AssertNothingStoredAsync()
    {
        Assert.Empty((await Admin.GetJsonAsync("/api/maintenances")).AsArray());
        Assert.Equal(0, await WithDbAsync(db => db.Incidents.CountAsync()));
        Assert.Equal(0, await WithDbAsync(db => db.ScheduledActions.CountAsync()));
    }

    private async Task<JsonNode> CreateAsync(string component) =>
        await Admin.PostAsync("/api/maintenances", new
        {
            title = "Database upgrade", message = "Playback will be read-only.", components = new[] { component },
            scheduledFor = From, scheduledUntil = Until,
        });

    [Fact]
    public async Task Every_missing_field_is_named()
    {
        var errors = await RefusedAsync(new { });
        Assert.Equal(["components", "message", "scheduledFor", "scheduledUntil", "title"], errors.Select(e => e.Key).Order());
    }

    [Fact]
    public async Task An_end_before_the_start_is_refused_on_scheduledUntil()
    {
        var component = await Admin.CreateComponentAsync("Streaming");
        var errors = await RefusedAsync(new { title = "t", message = "m", components = new[] { component }, scheduledFor = Until, scheduledUntil = From });
        Assert.Equal(["scheduledUntil"], errors.Select(e => e.Key));
    }

    [Fact]
    public async Task A_start_in_the_past_is_refused_on_scheduledFor()
    {
        var component = await Admin.CreateComponentAsync("Streaming");
        var errors = await RefusedAsync(new { title = "t", message = "m", components = new[] { component }, scheduledFor = T0.AddMinutes(-1), scheduledUntil = Until });
        Assert.Equal(["scheduledFor"], errors.Select(e => e.Key));
        Assert.Contains("in the future", Text(errors["scheduledFor"]![0]));
    }

    [Theory]
    [InlineData("1h", "not an ISO 8601 duration")]
    [InlineData("PT0S", "positive duration")]
    [InlineData("-PT1H", "positive duration")]
    [InlineData("PT3H", "already past")]
    public async Task A_bad_reminder_is_refused_on_its_index(string reminder, string why)
    {
        var component = await Admin.CreateComponentAsync("Streaming");
        var errors = await RefusedAsync(new
        {
            title = "t", message = "m", components = new[] { component }, scheduledFor = From, scheduledUntil = Until,
            reminders = new[] { "PT30M", reminder },
        });
        Assert.Equal(["reminders[1]"], errors.Select(e => e.Key));
        Assert.Contains(why, Text(errors["reminders[1]"]![0]));
    }

    [Fact]
    public async Task A_reminder_listed_twice_is_refused_on_the_second()
    {
        var component = await Admin.CreateComponentAsync("Streaming");
        var errors = await RefusedAsync(new
        {
            title = "t", message = "m", components = new[] { component }, scheduledFor = From, scheduledUntil = Until,
            reminders = new[] { "PT1H", "PT60M" },
        });
        Assert.Equal(["reminders[1]"], errors.Select(e => e.Key));
    }

    [Fact]
    public async Task More_than_ten_reminders_are_refused()
    {
        var component = await Admin.CreateComponentAsync("Streaming");
        var errors = await RefusedAsync(new
        {
            title = "t", message = "m", components = new[] { component }, scheduledFor = From, scheduledUntil = Until,
            reminders = Enumerable.Range(1, 11).Select(i => $"PT{i}M").ToArray(),
        });
        Assert.Equal(["reminders"], errors.Select(e => e.Key));
    }

    [Fact]
    public async Task An_unknown_component_is_refused_on_its_index_and_changes_no_component()
    {
        var known = await Admin.CreateComponentAsync("Streaming");
        var unknown = Guid.CreateVersion7();
        var errors = await RefusedAsync(new { title = "t", message = "m", components = new[] { known, unknown.ToString() }, scheduledFor = From, scheduledUntil = Until });
        Assert.Equal(["components[1]"], errors.Select(e => e.Key));
        Assert.Contains(unknown.ToString(), Text(errors["components[1]"]![0]));
        Assert.Equal("operational", Text((await Admin.GetJsonAsync($"/api/components/{known}"))["status"]));
    }

    [Fact]
    public async Task An_unknown_or_empty_channel_list_is_refused()
    {
        var component = await Admin.CreateComponentAsync("Streaming");
        var unknown = await RefusedAsync(new
        {
            title = "t", message = "m", components = new[] { component }, scheduledFor = From, scheduledUntil = Until, channels = new[] { "email", "pigeon" },
        });
        Assert.Equal(["channels[1]"], unknown.Select(e => e.Key));
        var empty = await RefusedAsync(new
        {
            title = "t", message = "m", components = new[] { component }, scheduledFor = From, scheduledUntil = Until, channels = Array.Empty<string>(),
        });
        Assert.Equal(["channels"], empty.Select(e => e.Key));
    }

    [Fact]
    public async Task An_unknown_maintenance_is_404_everywhere()
    {
        var id = Guid.CreateVersion7();
        await ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/api/maintenances/{id}");
        await ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Patch, $"/api/maintenances/{id}", new { title = "New" });
        await ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/api/maintenances/{id}/updates", new { message = "m" });
        await ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/api/maintenances/{id}/cancel", new { });
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task An_incident_is_not_a_maintenance_and_a_maintenance_is_not_an_incident()
    {
        var component = await Admin.CreateComponentAsync("Streaming");
        var incident = Id(await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" }));
        var maintenance = Id(await CreateAsync(component));

        await ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/api/maintenances/{incident}");
        await ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/api/maintenances/{incident}/cancel", new { });
        await ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/api/incidents/{maintenance}");
        await ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/api/incidents/{maintenance}/updates", new { message = "m" });

        Assert.Equal([incident], (await Admin.GetJsonAsync("/api/incidents")).AsArray().Select(i => Id(i!)));
        Assert.Equal([incident], (await Admin.GetJsonAsync("/api/incidents?state=open")).AsArray().Select(i => Id(i!)));
        Assert.Empty((await Admin.GetJsonAsync("/api/incidents?state=resolved")).AsArray());
        Assert.Equal([maintenance], (await Admin.GetJsonAsync("/api/maintenances")).AsArray().Select(i => Id(i!)));
    }

    [Fact]
    public async Task Maintenance_statuses_are_refused_on_incidents()
    {
        var errors = await FieldErrorsAsync(HttpMethod.Post, "/api/incidents", new { title = "t", message = "m", status = "scheduled" });
        Assert.Equal(["status"], errors.Select(e => e.Key));
        Assert.Contains("maintenance status", Text(errors["status"]![0]));
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Incident_statuses_are_refused_on_maintenance_updates()
    {
        var maintenance = Id(await CreateAsync(await Admin.CreateComponentAsync("Streaming")));
        var errors = await FieldErrorsAsync(HttpMethod.Post, $"/api/maintenances/{maintenance}/updates", new { message = "m", status = "resolved" });
        Assert.Equal(["status"], errors.Select(e => e.Key));
        var after = await Admin.GetJsonAsync($"/api/maintenances/{maintenance}");
        Assert.Equal("scheduled", Text(after["status"]));
        Assert.Single(after["updates"]!.AsArray());
    }

    [Fact]
    public async Task An_unknown_list_state_is_a_field_error()
    {
        var errors = await FieldErrorsAsync(HttpMethod.Get, "/api/maintenances?state=soon");
        Assert.Equal(["state"], errors.Select(e => e.Key));
    }

    [Fact]
    public async Task A_cancelled_maintenance_can_no_longer_change()
    {
        var maintenance = Id(await CreateAsync(await Admin.CreateComponentAsync("Streaming")));
        await ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/api/maintenances/{maintenance}/cancel", new { });
        var updates = (await Admin.GetJsonAsync($"/api/maintenances/{maintenance}"))["updates"]!.AsArray().Count;

        await ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, $"/api/maintenances/{maintenance}/cancel", new { });
        await ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Patch, $"/api/maintenances/{maintenance}", new { title = "Renamed" });
        await ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, $"/api/maintenances/{maintenance}/updates", new { message = "Note" });

        var after = await Admin.GetJsonAsync($"/api/maintenances/{maintenance}");
        Assert.Equal("Database upgrade", Text(after["title"]));
        Assert.Equal(updates, after["updates"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_completed_maintenance_can_no_longer_change()
    {
        var maintenance = Id(await CreateAsync(await Admin.CreateComponentAsync("Streaming")));
        await Admin.PostAsync($"/api/maintenances/{maintenance}/updates", new { message = "Done early.", status = "completed" });

        await ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Patch, $"/api/maintenances/{maintenance}", new { scheduledUntil = Until.AddHours(1) });
        await ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, $"/api/maintenances/{maintenance}/cancel", new { });

        var after = await Admin.GetJsonAsync($"/api/maintenances/{maintenance}");
        Assert.Equal(Until, Time(after["scheduledUntil"]));
        Assert.Null(after["cancelledAt"]);
    }

    [Fact]
    public async Task A_started_maintenance_cannot_move_its_start()
    {
        var maintenance = Id(await CreateAsync(await Admin.CreateComponentAsync("Streaming")));
        await Admin.PostAsync($"/api/maintenances/{maintenance}/updates", new { message = "Starting early.", status = "in_progress" });
        var errors = await FieldErrorsAsync(HttpMethod.Patch, $"/api/maintenances/{maintenance}", new { scheduledFor = From.AddHours(1) });
        Assert.Equal(["scheduledFor"], errors.Select(e => e.Key));
        Assert.Equal(From, Time((await Admin.GetJsonAsync($"/api/maintenances/{maintenance}"))["scheduledFor"]));
    }
}
