using System.Net;
using System.Text.Json.Nodes;
using CommsHub.Contracts;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Subscribers;
using CommsHub.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.IntegrationTests;

/// <summary>
/// The publish path in the production topology: PostgreSQL, RabbitMQ with publisher confirms,
/// the real SendGrid SDK against a loopback fake.
/// </summary>
public sealed class PublishPathTests : IAsyncLifetime
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
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }
        var app = new CommsHubApp(settings);
        _ = app.Server; // start the host: migrations, bus, dispatcher
        return app;
    }

    private static async Task SeedSubscribersAsync(CommsHubApp app, int confirmed, int pending = 0, string prefix = "user", Guid? component = null)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < confirmed + pending; i++)
        {
            var subscriber = new Subscriber
            {
                Channel = Channel.Email,
                Address = $"{prefix}{i:D5}@example.com",
                Status = i < confirmed ? SubscriberStatus.Confirmed : SubscriberStatus.Pending,
                CreatedAt = now,
            };
            if (component is { } c)
            {
                subscriber.Components.Add(new SubscriberComponent { SubscriberId = subscriber.Id, ComponentId = c });
            }
            db.Subscribers.Add(subscriber);
        }
        await db.SaveChangesAsync();
    }

    private static async Task<int> CountAsync(CommsHubApp app, Func<CommsHubDbContext, Task<int>> query)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<CommsHubDbContext>());
    }

    private static Task WaitForSentAsync(CommsHubApp app, string updateId, int expected) =>
        Eventually.HoldsAsync(
            () => CountAsync(app, db => db.Deliveries.CountAsync(d => d.UpdateId == Guid.Parse(updateId) && d.Status == DeliveryStatus.Sent)).ContinueWith(t => t.Result == expected),
            $"{expected} deliveries of {updateId} are sent", TimeSpan.FromSeconds(90));

    [Fact]
    public async Task Publishing_mails_every_confirmed_subscriber_once_in_requests_of_at_most_1000()
    {
        await using var app = StartApp();
        using var admin = app.Admin();
        await SeedSubscribersAsync(app, confirmed: 2500, pending: 7);
        var everyone = Enumerable.Range(0, 2500).Select(i => $"user{i:D5}@example.com").ToList();

        var incident = await admin.PostAsync("/api/incidents", new { title = "Streaming outage", message = "Video playback is failing for all viewers.", impact = "critical" });
        var firstUpdate = incident["updates"]![0]!["id"]!.GetValue<string>();
        await WaitForSentAsync(app, firstUpdate, 2500);

        var first = _sendGrid.Requests;
        Assert.Equal([1000, 1000, 500], first.Select(r => r.Recipients.Count).OrderDescending());
        Assert.Equal(everyone, first.SelectMany(r => r.Recipients).Order());
        Assert.All(first, r =>
        {
            Assert.Equal("Bearer SG.integration", r.Authorization);
            Assert.Equal("status@acme.example", r.FromEmail);
            Assert.Equal("[Acme Status] Streaming outage — Investigating", r.Subject);
            Assert.Contains("Video playback is failing for all viewers.", r.Content("text/plain"));
            Assert.Contains("Video playback is failing for all viewers.", r.Content("text/html"));
        });

        // Every delivery carries the X-Message-Id of the request that carried it.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
            var deliveries = await db.Deliveries.AsNoTracking().Where(d => d.UpdateId == Guid.Parse(firstUpdate)).ToDictionaryAsync(d => d.Id.ToString());
            Assert.Equal(2500, deliveries.Count);
            foreach (var request in first)
            {
                Assert.All(request.DeliveryIds, id => Assert.Equal(request.MessageId, deliveries[id].ProviderMessageId));
            }
            // One attempt row per SendGrid request, listing its recipients' deliveries, with what SendGrid answered.
            var attempts = await db.DeliveryAttempts.AsNoTracking().Where(a => a.UpdateId == Guid.Parse(firstUpdate)).ToListAsync();
            Assert.Equal(first.Count, attempts.Count);
            Assert.Equal(deliveries.Keys.Order(), attempts.SelectMany(a => a.DeliveryIds).Select(id => id.ToString()).Order());
            Assert.All(attempts, a =>
            {
                Assert.Equal(1, a.Number);
                Assert.Equal(202, a.HttpStatus);
                Assert.Equal(DeliveryStatus.Sent, a.Outcome);
                var request = Assert.Single(first, r => r.MessageId == a.ProviderMessageId);
                Assert.Equal(request.DeliveryIds.Order(), a.DeliveryIds.Select(id => id.ToString()).Order());
                Assert.All(a.DeliveryIds, id => Assert.Equal(a.Batch, deliveries[id.ToString()].Batch));
            });
        }

        // A second update reaches all of them again, once each.
        var update = await admin.PostAsync($"/api/incidents/{incident["id"]}/updates", new { message = "A fix is rolling out.", status = "identified" });
        await WaitForSentAsync(app, update["id"]!.GetValue<string>(), 2500);
        var second = _sendGrid.Requests.Skip(first.Count).ToList();
        Assert.Equal(3, second.Count);
        Assert.Equal(everyone, second.SelectMany(r => r.Recipients).Order());
        Assert.All(second, r => Assert.Equal("[Acme Status] Streaming outage — Identified", r.Subject));

        var report = await admin.GetJsonAsync($"/api/updates/{update["id"]}/report");
        Assert.Equal(2500, report["audience"]!.GetValue<int>());
        Assert.Equal(2500, report["channels"]!["email"]!["sent"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_component_scoped_subscriber_hears_only_of_its_components()
    {
        await using var app = StartApp();
        using var admin = app.Admin();
        var streaming = await admin.CreateComponentAsync("Streaming");
        var billing = await admin.CreateComponentAsync("Billing");
        await SeedSubscribersAsync(app, 3, prefix: "all");
        await SeedSubscribersAsync(app, 2, prefix: "streaming", component: Guid.Parse(streaming));
        await SeedSubscribersAsync(app, 2, prefix: "billing", component: Guid.Parse(billing));

        var incident = await admin.PostAsync("/api/incidents", new
        {
            title = "Billing delays", message = "Invoices are late.", components = new[] { new { id = billing, status = "degraded_performance" } },
        });
        await WaitForSentAsync(app, incident["updates"]![0]!["id"]!.GetValue<string>(), 5);
        Assert.Equal(["all00000", "all00001", "all00002", "billing00000", "billing00001"],
            _sendGrid.Requests.SelectMany(r => r.Recipients).Select(r => r.Split('@')[0]).Order());
    }

    [Fact]
    public async Task Sandboxed_email_and_sms_keep_the_text_they_would_have_sent()
    {
        // No SendGrid key and no Twilio credentials: both channels sandboxed (SMS records through the grouped UPDATE … FROM unnest).
        await using var app = StartApp(new() { ["Channels:Email:SendGrid:ApiKey"] = "" });
        using var admin = app.Admin();
        await admin.SubscribeAsync("ann@example.com");
        await admin.PostAsync("/api/subscribers", new { phone = "+12025550101", confirmed = true });
        await admin.PostAsync("/api/subscribers", new { phone = "+12025550102", confirmed = true });
        var incident = await admin.PostAsync("/api/incidents", new { title = "Checkout failing", message = "Payments are declined." });
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();

        List<JsonNode> deliveries = [];
        await Eventually.HoldsAsync(async () =>
        {
            deliveries = await admin.AllDeliveriesAsync($"updateId={updateId}");
            return deliveries.Count == 3 && deliveries.All(d => d["status"]!.GetValue<string>() == "sandboxed");
        }, "three sandboxed deliveries", TimeSpan.FromSeconds(60));
        foreach (var delivery in deliveries)
        {
            var rendered = (await admin.GetJsonAsync($"/api/deliveries/{delivery["id"]}"))["rendered"]!.GetValue<string>();
            Assert.Contains("Payments are declined.", rendered);
            Assert.Equal(delivery["channel"]!.GetValue<string>() == "email", rendered.StartsWith("Subject: ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_component_named_by_an_open_incident_is_not_deleted_and_a_free_one_is()
    {
        await using var app = StartApp();
        using var admin = app.Admin();
        var streaming = await admin.CreateComponentAsync("Streaming");
        var billing = await admin.CreateComponentAsync("Billing");
        await admin.PostAsync("/api/incidents", new
        {
            title = "Playback outage", message = "Investigating", components = new[] { new { id = streaming, status = "major_outage" } },
        });
        using (var refused = await admin.DeleteAsync($"/api/components/{streaming}"))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        }
        using (var deleted = await admin.DeleteAsync($"/api/components/{billing}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        var left = await admin.GetJsonAsync("/api/components");
        Assert.Equal([streaming], left.AsArray().Select(c => c!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Redelivered_events_and_commands_send_nothing_twice()
    {
        await using var app = StartApp(new() { ["Channels:Email:BatchSize"] = "10" });
        using var admin = app.Admin();
        var counter = new ConsumeCounter();
        var bus = app.Services.GetRequiredService<IBus>();
        using var _ = bus.ConnectConsumeObserver(counter);
        await SeedSubscribersAsync(app, 25);

        var incident = await admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        var updateId = Guid.Parse(incident["updates"]![0]!["id"]!.GetValue<string>());
        await WaitForSentAsync(app, updateId.ToString(), 25);
        Assert.Equal(3, _sendGrid.Requests.Count);
        await Eventually.HoldsAsync(() => Task.FromResult(counter.Of<SendEmailBatch>() == 3), "the three batch commands are consumed");

        // The broker delivers the same messages again (as after a lost ack or a crash before it).
        await bus.Publish(new IncidentUpdatePublished { UpdateId = updateId, IncidentId = Guid.Parse(incident["id"]!.GetValue<string>()) });
        for (var batch = 1; batch <= 3; batch++)
        {
            await bus.Publish(new SendEmailBatch { UpdateId = updateId, Batch = batch });
        }

        // The re-planned event emits the three commands again: 3 + 3 more consumes of the batch commands.
        // (IncidentUpdatePublished has two consumers in this process, the planner and the status page.)
        await Eventually.HoldsAsync(
            () => Task.FromResult(counter.Of<SendEmailBatch>() == 9),
            "the redelivered messages are consumed", TimeSpan.FromSeconds(60));
        Assert.Equal(3, _sendGrid.Requests.Count);
        Assert.Equal(25, await CountAsync(app, db => db.Deliveries.CountAsync(d => d.UpdateId == updateId)));
        Assert.Equal(25, await CountAsync(app, db => db.Deliveries.CountAsync(d => d.UpdateId == updateId && d.Attempts == 1)));
    }

    [Fact]
    public async Task An_update_committed_while_no_dispatcher_ran_is_delivered_after_restart()
    {
        string updateId;
        // No dispatcher and no sweep: nothing in this process publishes the committed row.
        await using (var stopped = StartApp(new() { ["Outbox:DispatcherEnabled"] = "false", ["Scheduling:Recurring:outbox-sweep"] = "-" }))
        {
            using var admin = stopped.Admin();
            await SeedSubscribersAsync(stopped, 12);
            var incident = await admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
            updateId = incident["updates"]![0]!["id"]!.GetValue<string>();
            await Task.Delay(1000);
            Assert.Empty(_sendGrid.Requests);
            Assert.Equal(1, await CountAsync(stopped, db => db.OutboxMessages.CountAsync(m => m.PublishedAt == null)));
        }

        await using var restarted = StartApp();
        await WaitForSentAsync(restarted, updateId, 12);
        Assert.Equal(12, _sendGrid.Requests.SelectMany(r => r.Recipients).Distinct().Count());
        Assert.Equal(12, _sendGrid.Requests.SelectMany(r => r.Recipients).Count());
        Assert.Equal(0, await CountAsync(restarted, db => db.OutboxMessages.CountAsync(m => m.PublishedAt == null)));
    }

    [Fact]
    public async Task Webhook_subscribers_imported_by_copy_keep_the_signing_secret_the_answer_showed()
    {
        await using var app = StartApp(new() { ["Webhooks:AllowPrivateTargets"] = "true" });
        using var admin = app.Admin();
        using var content = new StringContent("webhookUrl\nhttp://127.0.0.1:9/a\n", System.Text.Encoding.UTF8, "text/csv");
        using var response = await admin.PostAsync("/api/subscribers/import", content);
        var result = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var entry = result["secrets"]!.AsArray().Single()!;
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        var stored = await db.Subscribers.AsNoTracking().FirstAsync(s => s.Id == Guid.Parse(entry["id"]!.GetValue<string>()));
        Assert.Equal(entry["secret"]!.GetValue<string>(), scope.ServiceProvider.GetRequiredService<SubscriberSecrets>().Reveal(stored));
    }

    [Fact]
    public async Task Readiness_checks_the_database_and_the_broker()
    {
        await using var app = StartApp();
        using var client = app.CreateClient();
        await Eventually.HoldsAsync(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, "the app is ready");
        var body = System.Text.Json.Nodes.JsonNode.Parse(await (await client.GetAsync("/health/ready")).Content.ReadAsStringAsync())!;
        Assert.Equal("Healthy", body["checks"]!["database"]!["status"]!.GetValue<string>());
        Assert.Equal("Healthy", body["checks"]!["masstransit-bus"]!["status"]!.GetValue<string>());
    }
}
