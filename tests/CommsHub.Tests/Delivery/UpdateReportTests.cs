using System.Net;
using CommsHub.Core.Common;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using static CommsHub.Tests.Delivery.DeliveryQuerySeed;

namespace CommsHub.Tests.Delivery;

/// <summary>GET /api/updates/{id}/report: counts per channel and status, and how long the sending took.</summary>
public sealed class UpdateReportTests : SqliteAppTest
{
    /// <summary>An update that notifies nobody by itself, so the test's seeded deliveries are all it has.</summary>
    private async Task<(Guid UpdateId, Guid IncidentId, DateTimeOffset PublishedAt)> QuietUpdateAsync()
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Playback outage", message = "Investigating", notify = false });
        var updateId = Guid.Parse(incident["updates"]![0]!["id"]!.GetValue<string>());
        var publishedAt = await WithDbAsync(db => db.IncidentUpdates.Where(u => u.Id == updateId).Select(u => u.CreatedAt).SingleAsync());
        return (updateId, Guid.Parse(incident["id"]!.GetValue<string>()), publishedAt);
    }

    [Fact]
    public async Task The_report_counts_each_channel_and_status_and_times_the_send_from_publishing()
    {
        var (updateId, incidentId, publishedAt) = await QuietUpdateAsync();
        var rows = new[]
        {
            Make(0, updateId, Channel.Email, DeliveryStatus.Sent, incidentId: incidentId),
            Make(1, updateId, Channel.Email, DeliveryStatus.Sent, incidentId: incidentId),
            Make(2, updateId, Channel.Email, DeliveryStatus.Failed, incidentId: incidentId),
            Make(3, updateId, Channel.Sms, DeliveryStatus.Delivered, "+15551234567", incidentId: incidentId),
            Make(4, Guid.CreateVersion7(), Channel.Email, DeliveryStatus.Sent),
        };
        rows[0].SentAt = publishedAt.AddSeconds(5);
        rows[1].SentAt = publishedAt.AddSeconds(65);
        rows[3].SentAt = publishedAt.AddSeconds(30);
        await WithDbAsync(db =>
        {
            db.Deliveries.AddRange(rows);
            return db.SaveChangesAsync();
        });

        var report = await Admin.GetJsonAsync($"/api/updates/{updateId}/report");

        Assert.Equal(updateId.ToString(), report["updateId"]!.GetValue<string>());
        Assert.Equal(4, report["audience"]!.GetValue<int>());
        var channels = report["channels"]!.AsObject();
        Assert.Equal(["email", "sms"], channels.Select(c => c.Key).Order());
        Assert.Equal(["failed", "sent"], channels["email"]!.AsObject().Select(s => s.Key).Order());
        Assert.Equal(2, channels["email"]!["sent"]!.GetValue<int>());
        Assert.Equal(1, channels["email"]!["failed"]!.GetValue<int>());
        Assert.Equal(1, Assert.Single(channels["sms"]!.AsObject(), s => s.Key == "delivered").Value!.GetValue<int>());
        Assert.Equal(publishedAt, report["publishedAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(publishedAt.AddSeconds(5), report["firstSentAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(publishedAt.AddSeconds(65), report["lastSentAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(60, report["secondsFromFirstToLastSend"]!.GetValue<double>(), 3);
        Assert.Equal(65, report["secondsFromPublishToLastSend"]!.GetValue<double>(), 3);
    }

    [Fact]
    public async Task When_nothing_was_sent_the_report_has_its_publish_time_and_no_durations()
    {
        var (updateId, incidentId, publishedAt) = await QuietUpdateAsync();
        await WithDbAsync(db =>
        {
            // Failed rather than queued: the product's redrive would send a queued one under the test.
            db.Deliveries.Add(Make(0, updateId, status: DeliveryStatus.Failed, incidentId: incidentId));
            return db.SaveChangesAsync();
        });

        var report = await Admin.GetJsonAsync($"/api/updates/{updateId}/report");

        Assert.Equal(1, report["audience"]!.GetValue<int>());
        Assert.Equal(1, report["channels"]!["email"]!["failed"]!.GetValue<int>());
        Assert.Equal(publishedAt, report["publishedAt"]!.GetValue<DateTimeOffset>());
        foreach (var field in new[] { "firstSentAt", "lastSentAt", "secondsFromFirstToLastSend", "secondsFromPublishToLastSend" })
        {
            Assert.True(report.AsObject().ContainsKey(field), $"{field} is present");
            Assert.Null(report[field]);
        }
    }

    [Fact]
    public async Task An_unknown_update_has_no_report()
    {
        await QuietUpdateAsync();
        await Admin.GetJsonAsync($"/api/updates/{Guid.CreateVersion7()}/report", HttpStatusCode.NotFound);
    }

}
