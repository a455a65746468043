using System.Text.Json.Nodes;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Api;

/// <summary>The publish path on the embedded default: SQLite, in-memory bus, email sandboxed.</summary>
public sealed class PublishingTests : SqliteAppTest
{
    private async Task<List<JsonNode>> SettledDeliveriesAsync(string updateId, int expected)
    {
        List<JsonNode> deliveries = [];
        await Eventually.HoldsAsync(async () =>
        {
            deliveries = await Admin.AllDeliveriesAsync($"updateId={updateId}");
            return deliveries.Count == expected && deliveries.All(d => d["status"]!.GetValue<string>() != "queued");
        }, $"{expected} deliveries of update {updateId} are settled");
        return deliveries;
    }

    [Fact]
    public async Task An_incident_reaches_every_confirmed_subscriber_once_and_no_pending_one()
    {
        await Admin.SubscribeAsync("ann@example.com");
        await Admin.SubscribeAsync("bob@example.com");
        await Admin.SubscribeAsync("pending@example.com", confirmed: false);

        var incident = await Admin.PostAsync("/api/incidents", new { title = "Playback outage", message = "We are investigating.", impact = "critical" });
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();

        var deliveries = await SettledDeliveriesAsync(updateId, 2);
        Assert.Equal(["ann@example.com", "bob@example.com"], deliveries.Select(d => d["recipient"]!.GetValue<string>()).Order());
        Assert.All(deliveries, d =>
        {
            Assert.Equal("sandboxed", d["status"]!.GetValue<string>());
            Assert.Equal("email", d["channel"]!.GetValue<string>());
            Assert.Equal("sandbox", d["provider"]!.GetValue<string>());
            Assert.Equal(incident["id"]!.GetValue<string>(), d["incidentId"]!.GetValue<string>());
            Assert.Equal(1, d["attempts"]!.GetValue<int>());
            Assert.NotNull(d["sentAt"]);
        });

        var report = await Admin.GetJsonAsync($"/api/updates/{updateId}/report");
        Assert.Equal(2, report["audience"]!.GetValue<int>());
        Assert.Equal(2, report["channels"]!["email"]!["sandboxed"]!.GetValue<int>());
        Assert.NotNull(report["firstSentAt"]);
        Assert.NotNull(report["lastSentAt"]);
    }

    [Fact]
    public async Task A_subscriber_with_components_hears_only_of_incidents_that_touch_them()
    {
        var streaming = await Admin.CreateComponentAsync("Streaming");
        var billing = await Admin.CreateComponentAsync("Billing");
        await Admin.SubscribeAsync("everything@example.com");
        await Admin.SubscribeAsync("streaming@example.com", true, streaming);
        await Admin.SubscribeAsync("billing@example.com", true, billing);

        var incident = await Admin.PostAsync("/api/incidents", new
        {
            title = "Playback outage", message = "Investigating", components = new[] { new { id = streaming, status = "major_outage" } },
        });
        var first = await SettledDeliveriesAsync(incident["updates"]![0]!["id"]!.GetValue<string>(), 2);
        Assert.Equal(["everything@example.com", "streaming@example.com"], first.Select(d => d["recipient"]!.GetValue<string>()).Order());

        // An incident without components reaches only those who chose everything.
        var general = await Admin.PostAsync("/api/incidents", new { title = "Slow site", message = "Looking into it" });
        var second = await SettledDeliveriesAsync(general["updates"]![0]!["id"]!.GetValue<string>(), 1);
        Assert.Equal("everything@example.com", second.Single()["recipient"]!.GetValue<string>());
    }

    [Fact]
    public async Task Each_update_reaches_the_audience_again_and_moves_incident_and_components()
    {
        var streaming = await Admin.CreateComponentAsync("Streaming");
        await Admin.SubscribeAsync("ann@example.com");
        var incident = await Admin.PostAsync("/api/incidents", new
        {
            title = "Playback outage", message = "Investigating", impact = "major",
            components = new[] { new { id = streaming, status = "major_outage" } },
        });
        var id = incident["id"]!.GetValue<string>();
        Assert.Equal("major_outage", (await Admin.GetJsonAsync($"/api/components/{streaming}"))["status"]!.GetValue<string>());

        var update = await Admin.PostAsync($"/api/incidents/{id}/updates", new
        {
            message = "Fixed; service restored.", status = "resolved", components = new[] { new { id = streaming, status = "operational" } },
        });
        Assert.Equal(id, update["incidentId"]!.GetValue<string>());
        await SettledDeliveriesAsync(update["id"]!.GetValue<string>(), 1);
        Assert.Equal(2, (await Admin.AllDeliveriesAsync($"incidentId={id}")).Count);

        var after = await Admin.GetJsonAsync($"/api/incidents/{id}");
        Assert.Equal("resolved", after["status"]!.GetValue<string>());
        Assert.NotNull(after["resolvedAt"]);
        Assert.Equal(2, after["updates"]!.AsArray().Count);
        Assert.Equal("operational", (await Admin.GetJsonAsync($"/api/components/{streaming}"))["status"]!.GetValue<string>());
        Assert.Empty((await Admin.GetJsonAsync("/api/incidents?state=open")).AsArray());
        Assert.Single((await Admin.GetJsonAsync("/api/incidents?state=resolved")).AsArray());
    }

    [Fact]
    public async Task Notify_false_and_other_channels_send_no_email()
    {
        await Admin.SubscribeAsync("ann@example.com");
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Quiet fix", message = "Website only", notify = false });
        var id = incident["id"]!.GetValue<string>();
        var smsOnly = await Admin.PostAsync($"/api/incidents/{id}/updates", new { message = "SMS only", channels = new[] { "sms" } });
        var everywhere = await Admin.PostAsync($"/api/incidents/{id}/updates", new { message = "Everyone" });

        await SettledDeliveriesAsync(everywhere["id"]!.GetValue<string>(), 1);
        await Eventually.HoldsAsync(() => WithDbAsync(db => db.OutboxMessages.AllAsync(m => m.PublishedAt != null)), "every outbox row is published");
        Assert.Empty(await Admin.AllDeliveriesAsync($"updateId={incident["updates"]![0]!["id"]}"));
        Assert.Empty(await Admin.AllDeliveriesAsync($"updateId={smsOnly["id"]}"));
    }

    [Fact]
    public async Task Deliveries_page_by_cursor_in_a_stable_order_without_gaps_or_repeats()
    {
        for (var i = 0; i < 5; i++)
        {
            await Admin.SubscribeAsync($"user{i}@example.com");
        }
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        var all = await SettledDeliveriesAsync(incident["updates"]![0]!["id"]!.GetValue<string>(), 5);

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Admin.GetJsonAsync("/api/deliveries?limit=2" + (cursor is null ? "" : $"&cursor={cursor}"));
            seen.AddRange(page["items"]!.AsArray().Select(d => d!["id"]!.GetValue<string>()));
            cursor = page["nextCursor"]?.GetValue<string>();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(all.Select(d => d["id"]!.GetValue<string>()).Order(), seen.Order());
        Assert.Equal(seen.Distinct().Count(), seen.Count);
        Assert.Equal(seen.OrderBy(s => Guid.Parse(s)), seen);

        var filtered = await Admin.GetJsonAsync("/api/deliveries?recipient=USER3@example.com&channel=email&status=sandboxed");
        Assert.Equal("user3@example.com", filtered["items"]!.AsArray().Single()!["recipient"]!.GetValue<string>());
    }
}
