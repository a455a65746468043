using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Subscribers;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Deliveries;

/// <summary>
/// Webhooks are planned in batches of 500, after eight of 100: a worker sends eight webhook batches at once, so a
/// few hundred slow endpoints are still posted 128 at a time, and a large audience costs few claims and records.
/// </summary>
public sealed class WebhookBatchSizeTests : SqliteAppTest
{
    // Only the planning is asserted: the posts go to a closed loopback port and fail.
    protected override Dictionary<string, string?> Settings() => new() { ["Webhooks:AllowPrivateTargets"] = "true" };

    [Fact]
    public async Task An_audience_of_1_200_webhooks_is_planned_as_eight_batches_of_100_then_one_of_400()
    {
        await using (var scope = App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
            var now = DateTimeOffset.UtcNow;
            for (var i = 0; i < 1_200; i++)
            {
                db.Subscribers.Add(new Subscriber
                {
                    Channel = Channel.Webhook, Address = $"http://127.0.0.1:9/hook/{i}", Status = SubscriberStatus.Confirmed, CreatedAt = now,
                });
            }
            await db.SaveChangesAsync();
        }

        var incident = await Admin.PostAsync("/api/incidents", new { title = "Playback errors", message = "Investigating.", impact = "major" });
        var updateId = Guid.Parse(incident["updates"]![0]!["id"]!.GetValue<string>());
        await Eventually.HoldsAsync(() => WithDbAsync(db => db.Deliveries.CountAsync(d => d.UpdateId == updateId && d.Channel == Channel.Webhook))
            .ContinueWith(t => t.Result == 1_200), "1,200 webhook deliveries are planned");

        var sizes = await WithDbAsync(db => db.Deliveries.Where(d => d.UpdateId == updateId && d.Channel == Channel.Webhook)
            .GroupBy(d => d.Batch).Select(g => new { Batch = g.Key, Count = g.Count() }).OrderBy(b => b.Batch).ToListAsync());
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9], sizes.Select(b => b.Batch));
        Assert.Equal([100, 100, 100, 100, 100, 100, 100, 100, 400], sizes.Select(b => b.Count));
    }
}
