using System.Net;
using System.Text.Json.Nodes;
using CommsHub.Core.Scheduling;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Scheduling;

/// <summary>Incident updates posted with <c>publishAt</c>: stored, changeable, withdrawable, and published by their job.</summary>
public sealed class ScheduledUpdateTests : FakeClockAppTest
{
    private static readonly DateTimeOffset PublishAt = T0.AddHours(1);

    private string _incident = "";

    private async Task<string> OpenIncidentAsync() =>
        _incident = Id(await Admin.PostAsync("/api/incidents", new { title = "Playback outage", message = "Investigating" }));

    private async Task<(Guid Id, string Location, JsonNode Body)> ScheduleAsync(object body)
    {
        var (status, json, response) = await SendAsync(HttpMethod.Post, $"/api/incidents/{_incident}/updates", body);
        using (response)
        {
            Assert.True(status == HttpStatusCode.Accepted, $"{(int)status}: {json.ToJsonString()}");
            return (Guid.Parse(Id(json)), response.Headers.Location!.OriginalString, json);
        }
    }

    private async Task<List<JsonNode>> IncidentUpdatesAsync() =>
        (await Admin.GetJsonAsync($"/api/incidents/{_incident}"))["updates"]!.AsArray().Select(u => u!).ToList();

    private Task<JsonNode> ScheduledAsync(Guid id) => Admin.GetJsonAsync($"/api/incidents/{_incident}/scheduled-updates/{id}");

    [Fact]
    public async Task Scheduling_answers_202_with_where_to_watch_it_and_publishes_nothing_yet()
    {
        await OpenIncidentAsync();
        var (id, location, body) = await ScheduleAsync(new { message = "Fix deployed, monitoring.", status = "monitoring", publishAt = PublishAt });

        Assert.Equal($"/api/incidents/{_incident}/scheduled-updates/{id}", location);
        Assert.Equal("scheduled", Text(body["state"]));
        Assert.Equal(PublishAt, Time(body["publishAt"]));
        Assert.Equal("Fix deployed, monitoring.", Text(body["request"]!["message"]));
        Assert.Null(body["request"]!["publishAt"]);
        Assert.Single(await IncidentUpdatesAsync());
        Assert.Equal([id], (await Admin.GetJsonAsync($"/api/incidents/{_incident}/scheduled-updates")).AsArray().Select(u => Guid.Parse(Id(u!))));
        var action = await PendingActionAsync(id, ScheduledActionKind.PublishUpdate);
        Assert.Equal(PublishAt, action.DueAt);
        Assert.NotNull(action.JobId);
    }

    [Fact]
    public async Task At_its_time_the_job_posts_the_stored_update()
    {
        await OpenIncidentAsync();
        var (id, _, _) = await ScheduleAsync(new { message = "Fix deployed, monitoring.", status = "monitoring", publishAt = PublishAt });
        AdvanceTo(PublishAt);
        await FireAsync(id, ScheduledActionKind.PublishUpdate);

        var incident = await Admin.GetJsonAsync($"/api/incidents/{_incident}");
        Assert.Equal("monitoring", Text(incident["status"]));
        var update = incident["updates"]!.AsArray()[0]!;
        Assert.Equal("Fix deployed, monitoring.", Text(update["message"]));
        Assert.Equal(PublishAt, Time(update["createdAt"]));
        Assert.True(update["public"]!.GetValue<bool>());

        var scheduled = await ScheduledAsync(id);
        Assert.Equal("published", Text(scheduled["state"]));
        Assert.Equal(Id(update), Text(scheduled["updateId"]));
    }

    [Fact]
    public async Task A_scheduled_update_moves_components_when_it_is_published_not_before()
    {
        var component = await Admin.CreateComponentAsync("Streaming");
        await OpenIncidentAsync();
        var (id, _, _) = await ScheduleAsync(new
        {
            message = "Streaming is down.", components = new[] { new { id = component, status = "major_outage" } }, publishAt = PublishAt,
        });
        Assert.Equal("operational", Text((await Admin.GetJsonAsync($"/api/components/{component}"))["status"]));

        AdvanceTo(PublishAt);
        await FireAsync(id, ScheduledActionKind.PublishUpdate);
        Assert.Equal("major_outage", Text((await Admin.GetJsonAsync($"/api/components/{component}"))["status"]));
    }

    [Fact]
    public async Task Changing_it_rewrites_the_message_and_moves_its_job()
    {
        await OpenIncidentAsync();
        var (id, _, _) = await ScheduleAsync(new { message = "Draft", status = "identified", publishAt = PublishAt });
        var before = await PendingActionAsync(id, ScheduledActionKind.PublishUpdate);

        var changed = await ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/api/incidents/{_incident}/scheduled-updates/{id}",
            new { message = "We found the cause.", publishAt = PublishAt.AddHours(1) });
        Assert.Equal("We found the cause.", Text(changed["request"]!["message"]));
        Assert.Equal("identified", Text(changed["request"]!["status"]));
        Assert.Equal(PublishAt.AddHours(1), Time(changed["publishAt"]));
        var after = await PendingActionAsync(id, ScheduledActionKind.PublishUpdate);
        Assert.Equal(PublishAt.AddHours(1), after.DueAt);
        Assert.NotEqual(before.JobId, after.JobId);

        // The job scheduled for the old time finds the action moved and does nothing.
        AdvanceTo(PublishAt);
        await RunJobAsync(before.Id, before.DueAt);
        Assert.Single(await IncidentUpdatesAsync());

        AdvanceTo(PublishAt.AddHours(1));
        await RunJobAsync(after.Id, after.DueAt);
        var updates = await IncidentUpdatesAsync();
        Assert.Equal(2, updates.Count);
        Assert.Equal("We found the cause.", Text(updates[0]["message"]));
        Assert.Equal("identified", Text(updates[0]["status"]));
    }

    [Fact]
    public async Task A_withdrawn_update_is_never_published_and_can_no_longer_change()
    {
        await OpenIncidentAsync();
        var (id, location, _) = await ScheduleAsync(new { message = "Resolved.", status = "resolved", publishAt = PublishAt });
        var action = await PendingActionAsync(id, ScheduledActionKind.PublishUpdate);

        await ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, location);
        Assert.Equal("withdrawn", Text((await ScheduledAsync(id))["state"]));
        var stored = (await ActionsAsync(id)).Single();
        Assert.NotNull(stored.CancelledAt);
        Assert.Equal("withdrawn", stored.Outcome);

        AdvanceTo(PublishAt);
        await RunJobAsync(action.Id, action.DueAt);
        Assert.Single(await IncidentUpdatesAsync());
        Assert.Equal("investigating", Text((await Admin.GetJsonAsync($"/api/incidents/{_incident}"))["status"]));

        await ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Delete, location);
        await ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Patch, location, new { message = "Again" });
        Assert.Equal("Resolved.", Text((await ScheduledAsync(id))["request"]!["message"]));
    }

    [Fact]
    public async Task A_published_update_can_no_longer_be_withdrawn()
    {
        await OpenIncidentAsync();
        var (id, location, _) = await ScheduleAsync(new { message = "Monitoring.", publishAt = PublishAt });
        AdvanceTo(PublishAt);
        await FireAsync(id, ScheduledActionKind.PublishUpdate);
        await ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Delete, location);
        Assert.Equal("published", Text((await ScheduledAsync(id))["state"]));
    }

    [Fact]
    public async Task A_publish_time_in_the_past_is_refused_and_nothing_is_stored()
    {
        await OpenIncidentAsync();
        var errors = await FieldErrorsAsync(HttpMethod.Post, $"/api/incidents/{_incident}/updates", new { message = "Later", publishAt = T0.AddSeconds(-1) });
        Assert.Equal(["publishAt"], errors.Select(e => e.Key));
        await AssertNothingScheduledAsync();
    }

    [Fact]
    public async Task An_invalid_update_is_refused_when_it_is_scheduled_not_when_it_fires()
    {
        await OpenIncidentAsync();
        var errors = await FieldErrorsAsync(HttpMethod.Post, $"/api/incidents/{_incident}/updates", new { message = "Later", status = "fixed", publishAt = PublishAt });
        Assert.Equal(["status"], errors.Select(e => e.Key));
        var maintenanceStatus = await FieldErrorsAsync(HttpMethod.Post, $"/api/incidents/{_incident}/updates", new { message = "Later", status = "in_progress", publishAt = PublishAt });
        Assert.Equal(["status"], maintenanceStatus.Select(e => e.Key));
        await AssertNothingScheduledAsync();
    }

    [Fact]
    public async Task A_change_to_an_invalid_update_is_refused_and_keeps_the_old_one()
    {
        await OpenIncidentAsync();
        var (id, location, _) = await ScheduleAsync(new { message = "Monitoring.", status = "monitoring", publishAt = PublishAt });
        var errors = await FieldErrorsAsync(HttpMethod.Patch, location, new { status = "fixed" });
        Assert.Equal(["status"], errors.Select(e => e.Key));
        var past = await FieldErrorsAsync(HttpMethod.Patch, location, new { publishAt = T0.AddMinutes(-5) });
        Assert.Equal(["publishAt"], past.Select(e => e.Key));

        var scheduled = await ScheduledAsync(id);
        Assert.Equal("monitoring", Text(scheduled["request"]!["status"]));
        Assert.Equal(PublishAt, Time(scheduled["publishAt"]));
    }

    [Fact]
    public async Task An_unknown_incident_is_404_even_when_the_time_is_wrong_too()
    {
        await ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/api/incidents/{Guid.CreateVersion7()}/updates",
            new { message = "Later", publishAt = T0.AddHours(-1) });
    }

    [Fact]
    public async Task A_wrong_time_and_a_wrong_field_are_reported_together()
    {
        var incident = Id(await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating." }));
        var errors = await FieldErrorsAsync(HttpMethod.Post, $"/api/incidents/{incident}/updates",
            new { message = "Later", status = "fixed", publishAt = T0.AddHours(-1) });
        Assert.True(errors.ContainsKey("publishAt"));
        Assert.True(errors.ContainsKey("status"));
    }

    [Fact]
    public async Task An_unknown_incident_or_a_maintenance_is_404()
    {
        await ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/api/incidents/{Guid.CreateVersion7()}/updates", new { message = "Later", publishAt = PublishAt });
        var component = await Admin.CreateComponentAsync("Streaming");
        var maintenance = Id(await Admin.PostAsync("/api/maintenances", new
        {
            title = "Upgrade", message = "m", components = new[] { component }, scheduledFor = T0.AddHours(2), scheduledUntil = T0.AddHours(3),
            autoTransition = false,
        }));
        await ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/api/incidents/{maintenance}/updates", new { message = "Later", publishAt = PublishAt });
        await ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/api/incidents/{maintenance}/scheduled-updates");
        Assert.Equal(0, await WithDbAsync(db => db.ScheduledUpdates.CountAsync()));
        Assert.Equal(0, await WithDbAsync(db => db.ScheduledActions.CountAsync()));
    }

    [Fact]
    public async Task An_unknown_scheduled_update_is_404()
    {
        await OpenIncidentAsync();
        var path = $"/api/incidents/{_incident}/scheduled-updates/{Guid.CreateVersion7()}";
        await ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, path);
        await ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Patch, path, new { message = "x" });
        await ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Delete, path);
    }

    private async Task AssertNothingScheduledAsync()
    {
        Assert.Empty((await Admin.GetJsonAsync($"/api/incidents/{_incident}/scheduled-updates")).AsArray());
        Assert.Equal(0, await WithDbAsync(db => db.ScheduledActions.CountAsync()));
        Assert.Single(await IncidentUpdatesAsync());
    }
}
