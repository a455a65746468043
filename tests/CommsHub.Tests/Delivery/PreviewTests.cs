using System.Net;
using CommsHub.Core.Channels.Sms;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Delivery;

public sealed class PreviewTests : SqliteAppTest
{
    [Fact]
    public async Task A_preview_renders_every_medium_and_stores_and_sends_nothing()
    {
        var streaming = await Admin.CreateComponentAsync("Streaming");
        await Admin.SubscribeAsync("ann@example.com");
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Video playback outage", message = "Investigating", impact = "major" });
        var id = incident["id"]!.GetValue<string>();
        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"incidentId={id}&status=sandboxed")).Count == 1, "the first update is delivered");
        var before = (Updates: await WithDbAsync(db => db.IncidentUpdates.CountAsync()), Outbox: await WithDbAsync(db => db.OutboxMessages.CountAsync()),
            Deliveries: await WithDbAsync(db => db.Deliveries.CountAsync()));

        var message = string.Join(' ', Enumerable.Repeat("We rolled back the player release and playback is recovering.", 8));
        var preview = await Admin.PostAsync($"/api/incidents/{id}/updates/preview", new
        {
            message, status = "monitoring", components = new[] { new { id = streaming, status = "degraded_performance" } },
        }, HttpStatusCode.OK);

        Assert.Equal("[Acme Status] Video playback outage — Monitoring", preview["email"]!["subject"]!.GetValue<string>());
        Assert.Contains(message, preview["email"]!["text"]!.GetValue<string>());
        Assert.Contains("Streaming: Degraded performance", preview["email"]!["text"]!.GetValue<string>());
        var sms = preview["sms"]!;
        Assert.Equal(2, sms["segments"]!.GetValue<int>());
        Assert.Equal("GSM-7", sms["encoding"]!.GetValue<string>());
        Assert.Equal(SmsRenderer.Measure(sms["body"]!.GetValue<string>()).Length, sms["length"]!.GetValue<int>());
        var webhook = preview["webhook"]!["body"]!;
        Assert.Equal("monitoring", webhook["incident"]!["status"]!.GetValue<string>());
        Assert.Equal(2, webhook["incident"]!["incident_updates"]!.AsArray().Count);
        Assert.Equal("major", webhook["page"]!["status_indicator"]!.GetValue<string>()); // the open incident's impact
        Assert.Null(preview["mastodon"]); // no social account configured

        await Task.Delay(500);
        Assert.Equal(before, (await WithDbAsync(db => db.IncidentUpdates.CountAsync()), await WithDbAsync(db => db.OutboxMessages.CountAsync()),
            await WithDbAsync(db => db.Deliveries.CountAsync())));
        Assert.Equal("operational", (await Admin.GetJsonAsync($"/api/components/{streaming}"))["status"]!.GetValue<string>());
        Assert.Equal("investigating", (await Admin.GetJsonAsync($"/api/incidents/{id}"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_preview_limited_to_the_website_renders_nothing_and_bad_input_is_a_400()
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        var id = incident["id"]!.GetValue<string>();
        var webOnly = await Admin.PostAsync($"/api/incidents/{id}/updates/preview", new { message = "Website only", channels = new[] { "web" } }, HttpStatusCode.OK);
        Assert.Empty(webOnly.AsObject());
        var bad = await Admin.PostAsync($"/api/incidents/{id}/updates/preview", new { message = "", status = "fine" }, HttpStatusCode.BadRequest);
        Assert.NotNull(bad["errors"]!["status"]);
        await Admin.PostAsync($"/api/incidents/{Guid.CreateVersion7()}/updates/preview", new { message = "x" }, HttpStatusCode.NotFound);
    }
}
