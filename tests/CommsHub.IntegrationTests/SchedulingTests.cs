using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CommsHub.Core.Data;
using CommsHub.Testing;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.IntegrationTests;

/// <summary>
/// Time-driven messages on the real stack: PostgreSQL (CommsHub's tables and Hangfire's), RabbitMQ,
/// the real SendGrid SDK against a loopback fake, schedules of a few seconds.
/// </summary>
public sealed class SchedulingTests : IAsyncLifetime
{
    private readonly SendGridFake _sendGrid = new();
    private Infrastructure _infra = null!;

    public async Task InitializeAsync() => _infra = await Infrastructure.CreateAsync();

    public async Task DisposeAsync()
    {
        _sendGrid.Dispose();
        await _infra.DisposeAsync();
    }

    private CommsHubApp StartApp(Dictionary<string, string?>? extra = null)
    {
        var settings = _infra.Settings();
        settings["Channels:Email:SendGrid:ApiKey"] = "SG.integration";
        settings["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url;
        settings["Channels:Email:From"] = "Acme Status <status@acme.example>";
        settings["Scheduling:PollInterval"] = "00:00:00.200";
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }
        var app = new CommsHubApp(settings);
        _ = app.Server;
        return app;
    }

    /// <summary>Every mail about the maintenance, oldest first, as (subject suffix, recipients, time).</summary>
    private List<(string Status, List<string> To, DateTime At)> Mails(string title) =>
        _sendGrid.Accepted.Where(m => m.Subject.Contains(title, StringComparison.Ordinal))
            .Select(m => (m.Subject[(m.Subject.LastIndexOf('—') + 2)..], m.Recipients.Order().ToList(), m.At)).ToList();

    private static async Task<JsonNode> MaintenanceAsync(HttpClient admin, string id) => await admin.GetJsonAsync($"/api/maintenances/{id}");

    private static Task WaitForStatusAsync(HttpClient admin, string id, string status, double seconds = 40) =>
        Eventually.HoldsAsync(async () => (await MaintenanceAsync(admin, id))["status"]!.GetValue<string>() == status,
            $"maintenance {id} is {status}", TimeSpan.FromSeconds(seconds));

    private static async Task<string> ComponentStatusAsync(HttpClient admin, string id) =>
        (await admin.GetJsonAsync("/api/components")).AsArray().First(c => c!["id"]!.GetValue<string>() == id)!["status"]!.GetValue<string>();

    [Fact]
    public async Task A_maintenance_is_announced_reminded_started_and_completed_once_each_in_order_on_time()
    {
        await using var app = StartApp();
        using var admin = app.Admin();
        var database = await admin.CreateComponentAsync("Database");
        var website = await admin.CreateComponentAsync("Website");
        (await admin.PatchAsJsonAsync($"/api/components/{database}", new { status = "degraded_performance" })).EnsureSuccessStatusCode();
        await admin.SubscribeAsync("ann@example.com");
        await admin.SubscribeAsync("bob@example.com", true, database);
        await admin.SubscribeAsync("web-only@example.com", true, website);

        var scheduledFor = DateTimeOffset.UtcNow.AddSeconds(7);
        var scheduledUntil = scheduledFor.AddSeconds(4);
        var created = await admin.PostAsync("/api/maintenances", new
        {
            title = "Database upgrade", message = "We are upgrading the database.", components = new[] { database },
            scheduledFor, scheduledUntil, reminders = new[] { "PT3S" },
        });
        var id = created["id"]!.GetValue<string>();
        Assert.Equal("scheduled", created["status"]!.GetValue<string>());

        await Eventually.HoldsAsync(async () => await ComponentStatusAsync(admin, database) == "under_maintenance",
            "the database is under maintenance", TimeSpan.FromSeconds(30));
        await WaitForStatusAsync(admin, id, "completed");
        await Eventually.HoldsAsync(() => Task.FromResult(Mails("Database upgrade").Count >= 4), "four mails went out", TimeSpan.FromSeconds(30));
        await Task.Delay(1500); // anything doubled would arrive now

        var mails = Mails("Database upgrade");
        Assert.Equal(["Scheduled", "Scheduled", "In progress", "Completed"], mails.Select(m => m.Status));
        Assert.All(mails, m => Assert.Equal(["ann@example.com", "bob@example.com"], m.To));
        Assert.Contains("Reminder", _sendGrid.Accepted.Where(m => m.Subject.Contains("Database upgrade", StringComparison.Ordinal)).ElementAt(1).Content("text/plain"));
        // Not before their time (the fake's clock and ours are the same machine's).
        Assert.True(mails[1].At >= scheduledFor.AddSeconds(-3).UtcDateTime, $"reminder at {mails[1].At:O}");
        Assert.True(mails[2].At >= scheduledFor.UtcDateTime, $"start mail at {mails[2].At:O}, window opens {scheduledFor:O}");
        Assert.True(mails[3].At >= scheduledUntil.UtcDateTime, $"completion mail at {mails[3].At:O}, window closes {scheduledUntil:O}");

        // The component returns to the status it had before the window, and the other was never touched.
        Assert.Equal("degraded_performance", await ComponentStatusAsync(admin, database));
        Assert.Equal("operational", await ComponentStatusAsync(admin, website));
        var maintenance = await MaintenanceAsync(admin, id);
        Assert.All(maintenance["schedule"]!.AsArray(), s => Assert.NotNull(s!["firedAt"]));
        Assert.Equal(4, maintenance["updates"]!.AsArray().Count);
    }

    [Fact]
    public async Task Schedules_written_by_an_api_process_fire_once_after_the_worker_starts_later()
    {
        string id;
        // A deployment whose worker has run before: its queues exist to take what the API publishes meanwhile.
        await using (var before = StartApp(new() { ["Roles"] = "worker" }))
        {
            using var probe = before.CreateClient();
            await Eventually.HoldsAsync(async () => (await probe.GetAsync("/health/ready")).IsSuccessStatusCode, "the first worker is ready");
            await Task.Delay(1000);
        }
        await using (var api = StartApp(new() { ["Roles"] = "api" }))
        {
            using var admin = api.Admin();
            var component = await admin.CreateComponentAsync("Search");
            await admin.SubscribeAsync("ann@example.com");
            // Far enough ahead for the worker's start (migrations checked, Hangfire's schema ready) to come first.
            var scheduledFor = DateTimeOffset.UtcNow.AddSeconds(12);
            id = (await admin.PostAsync("/api/maintenances", new
            {
                title = "Search reindex", message = "Search will be slow.", components = new[] { component },
                scheduledFor, scheduledUntil = scheduledFor.AddSeconds(3), reminders = new[] { "PT4S" },
            }))["id"]!.GetValue<string>();
            await Task.Delay(1000);
            Assert.Empty(_sendGrid.Requests); // no worker: nothing planned or sent
        }

        // The worker comes up after the API has gone, before the first reminder is due.
        await using var worker = StartApp();
        using var client = worker.Admin();
        await WaitForStatusAsync(client, id, "completed");
        await Eventually.HoldsAsync(() => Task.FromResult(Mails("Search reindex").Count >= 4),
            $"four mails went out (so far: {string.Join(", ", Mails("Search reindex").Select(m => m.Status))})", TimeSpan.FromSeconds(30));
        await Task.Delay(1500);
        Assert.Equal(["Scheduled", "Scheduled", "In progress", "Completed"], Mails("Search reindex").Select(m => m.Status));
    }

    [Fact]
    public async Task A_worker_restarted_between_scheduling_and_firing_fires_everything_once()
    {
        string id;
        await using (var first = StartApp())
        {
            using var admin = first.Admin();
            var component = await admin.CreateComponentAsync("Billing");
            await admin.SubscribeAsync("ann@example.com");
            var scheduledFor = DateTimeOffset.UtcNow.AddSeconds(10);
            id = (await admin.PostAsync("/api/maintenances", new
            {
                title = "Billing migration", message = "Invoices pause briefly.", components = new[] { component },
                scheduledFor, scheduledUntil = scheduledFor.AddSeconds(3), reminders = new[] { "PT4S" },
            }))["id"]!.GetValue<string>();
            await Eventually.HoldsAsync(() => Task.FromResult(Mails("Billing migration").Count == 1), "the announcement went out");
        }

        await Task.Delay(1000);
        await using var second = StartApp();
        using var client = second.Admin();
        await WaitForStatusAsync(client, id, "completed");
        await Eventually.HoldsAsync(() => Task.FromResult(Mails("Billing migration").Count >= 4), "four mails went out", TimeSpan.FromSeconds(30));
        await Task.Delay(1500);
        Assert.Equal(["Scheduled", "Scheduled", "In progress", "Completed"], Mails("Billing migration").Select(m => m.Status));
    }

    [Fact]
    public async Task Rescheduling_moves_the_jobs_and_cancelling_removes_them()
    {
        await using var app = StartApp();
        using var admin = app.Admin();
        var component = await admin.CreateComponentAsync("API");
        await admin.SubscribeAsync("ann@example.com");

        // Moved earlier: it must run at the new time, and nothing may run at the old one.
        var late = DateTimeOffset.UtcNow.AddSeconds(30);
        var moved = (await admin.PostAsync("/api/maintenances", new
        {
            title = "Moved window", message = "Planned work.", components = new[] { component }, scheduledFor = late, scheduledUntil = late.AddSeconds(5),
        }))["id"]!.GetValue<string>();
        var originalJobs = await JobIdsAsync(app, moved);
        // Two updates published within milliseconds may reach a mailbox in either order; this test is about the jobs.
        await Eventually.HoldsAsync(() => Task.FromResult(Mails("Moved window").Count == 1), "the announcement went out");
        var soon = DateTimeOffset.UtcNow.AddSeconds(4);
        using (var patch = await admin.PatchAsJsonAsync($"/api/maintenances/{moved}", new { scheduledFor = soon, scheduledUntil = soon.AddSeconds(2) }))
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }

        // Cancelled: no start, no end, a cancellation instead.
        var cancelledFor = DateTimeOffset.UtcNow.AddSeconds(5);
        var cancelled = (await admin.PostAsync("/api/maintenances", new
        {
            title = "Called off", message = "Planned work.", components = new[] { component }, scheduledFor = cancelledFor, scheduledUntil = cancelledFor.AddSeconds(2),
        }))["id"]!.GetValue<string>();
        var cancelledJobs = await JobIdsAsync(app, cancelled);
        var afterCancel = await admin.PostAsync($"/api/maintenances/{cancelled}/cancel", new { }, HttpStatusCode.OK);
        Assert.Equal("completed", afterCancel["status"]!.GetValue<string>());
        Assert.NotNull(afterCancel["cancelledAt"]);

        await WaitForStatusAsync(admin, moved, "completed", seconds: 20);
        Assert.True(DateTimeOffset.UtcNow < late, "the moved maintenance completed before its original start");
        await Task.Delay(cancelledFor.AddSeconds(4) - DateTimeOffset.UtcNow is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero);

        Assert.Equal(["Scheduled", "Scheduled", "In progress", "Completed"], Mails("Moved window").Select(m => m.Status));
        var notice = _sendGrid.Accepted.Where(m => m.Subject.Contains("Moved window", StringComparison.Ordinal)).ElementAt(1).Content("text/plain");
        Assert.True(notice!.Contains("rescheduled", StringComparison.Ordinal), notice);
        Assert.Contains("rescheduled", _sendGrid.Accepted.Where(m => m.Subject.Contains("Moved window", StringComparison.Ordinal)).ElementAt(1).Content("text/plain"));
        Assert.Equal(["Scheduled", "Completed"], Mails("Called off").Select(m => m.Status));
        Assert.Contains("cancelled", _sendGrid.Accepted.Last(m => m.Subject.Contains("Called off", StringComparison.Ordinal)).Content("text/plain"));
        Assert.Equal("operational", await ComponentStatusAsync(admin, component));

        // The jobs of the old window and of the cancelled maintenance are gone from Hangfire.
        var storage = app.Services.GetRequiredService<JobStorage>();
        using var connection = storage.GetConnection();
        Assert.All(originalJobs.Concat(cancelledJobs), job => Assert.Equal("Deleted", connection.GetStateData(job)?.Name));
    }

    [Fact]
    public async Task A_scheduled_update_is_published_at_its_time_and_not_before()
    {
        await using var app = StartApp();
        using var admin = app.Admin();
        await admin.SubscribeAsync("ann@example.com");
        var incident = await admin.PostAsync("/api/incidents", new { title = "Checkout errors", message = "Investigating." });
        var incidentId = incident["id"]!.GetValue<string>();

        var publishAt = DateTimeOffset.UtcNow.AddSeconds(4);
        using var response = await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/updates",
            new { message = "Fixed: a bad deploy was rolled back.", status = "resolved", publishAt });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.NotNull(response.Headers.Location);

        // Read shortly before its time. On a loaded machine the wait or the read may end past it, and then the read
        // tells nothing (the update may rightly be out): only a read answered before the time must show it unpublished.
        // The published update's time, checked below, guards "not before" in every case.
        if (publishAt - DateTimeOffset.UtcNow - TimeSpan.FromMilliseconds(700) is { } wait && wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
        var before = await admin.GetJsonAsync($"/api/incidents/{incidentId}");
        if (DateTimeOffset.UtcNow < publishAt)
        {
            Assert.Equal("investigating", before["status"]!.GetValue<string>());
            Assert.Single(before["updates"]!.AsArray());
        }

        await Eventually.HoldsAsync(async () => (await admin.GetJsonAsync($"/api/incidents/{incidentId}"))["status"]!.GetValue<string>() == "resolved",
            "the scheduled update is published", TimeSpan.FromSeconds(20));
        var after = await admin.GetJsonAsync($"/api/incidents/{incidentId}");
        var published = after["updates"]![0]!;
        Assert.Equal("Fixed: a bad deploy was rolled back.", published["message"]!.GetValue<string>());
        Assert.True(published["createdAt"]!.GetValue<DateTimeOffset>() >= publishAt, $"published at {published["createdAt"]}, due {publishAt:O}");
        await Eventually.HoldsAsync(() => Task.FromResult(_sendGrid.Accepted.Count(m => m.Subject.Contains("Resolved", StringComparison.Ordinal)) == 1),
            "the resolution was mailed", TimeSpan.FromSeconds(20));
        var scheduled = await admin.GetJsonAsync(response.Headers.Location!.ToString());
        Assert.Equal("published", scheduled["state"]!.GetValue<string>());
        Assert.Equal(published["id"]!.GetValue<string>(), scheduled["updateId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Operators_are_reminded_of_a_quiet_incident_until_someone_posts_an_update()
    {
        await using var app = StartApp(new()
        {
            ["Incidents:UpdateReminderAfter"] = "00:00:03",
            ["Operators:Emails:0"] = "oncall@acme.example",
            ["Scheduling:Recurring:incident-update-reminders"] = "* * * * * *",
        });
        using var admin = app.Admin();
        var incident = await admin.PostAsync("/api/incidents", new { title = "Login failures", message = "Investigating." });
        var id = incident["id"]!.GetValue<string>();
        List<SentMail> Reminders() => _sendGrid.Accepted.Where(m => m.Recipients.Contains("oncall@acme.example")).ToList();

        await Eventually.HoldsAsync(() => Task.FromResult(Reminders().Count == 1), "the operators are reminded", TimeSpan.FromSeconds(20));
        var first = Reminders()[0];
        Assert.Contains("Login failures", first.Subject);
        Assert.Contains($"/api/incidents/{id}/updates", first.Content("text/plain"));

        var posting = DateTime.UtcNow;
        await admin.PostAsync($"/api/incidents/{id}/updates", new { message = "Still investigating; next update in 15 minutes." });

        // Quiet again for the interval: one more reminder, not one per check. The update reset the clock: nothing came
        // in the 3 s after it (judged by the reminders' own times, not by a wait that a loaded machine may stretch).
        await Eventually.HoldsAsync(() => Task.FromResult(Reminders().Count == 2), "the operators are reminded again", TimeSpan.FromSeconds(20));
        Assert.True(Reminders()[1].At >= posting.AddSeconds(3), $"second reminder at {Reminders()[1].At:O}, update posted from {posting:O}");
        await admin.PostAsync($"/api/incidents/{id}/updates", new { message = "Resolved.", status = "resolved" });
        await Task.Delay(4500);
        Assert.Equal(2, Reminders().Count);
    }

    private static async Task<List<string>> JobIdsAsync(CommsHubApp app, string maintenanceId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        return await db.ScheduledActions.Where(a => a.TargetId == Guid.Parse(maintenanceId) && a.JobId != null).Select(a => a.JobId!).ToListAsync();
    }
}
