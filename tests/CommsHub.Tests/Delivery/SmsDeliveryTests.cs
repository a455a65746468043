using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Common;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Delivery;

/// <summary>Updates by SMS through the real Twilio SDK against a loopback fake.</summary>
public sealed class SmsDeliveryTests : SqliteAppTest, IDisposable
{
    private readonly TwilioFake _twilio = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Sms:Twilio:AccountSid"] = TwilioFake.AccountSid,
        ["Channels:Sms:Twilio:AuthToken"] = TwilioFake.AuthToken,
        ["Channels:Sms:Twilio:BaseUrl"] = _twilio.Url,
        ["Channels:Sms:From"] = "+15005550006",
        ["Channels:Sms:MessagesPerSecond"] = "50",
    };

    public void Dispose() => _twilio.Dispose();

    private async Task<string> PublishAsync(string message)
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Video playback outage", message, impact = "major" });
        return incident["updates"]![0]!["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task Each_confirmed_number_gets_one_sms_within_two_segments_with_the_link_and_a_status_callback()
    {
        string[] numbers = ["+12025550101", "+12025550102", "+12025550103"];
        foreach (var n in numbers)
        {
            await Admin.PostAsync("/api/subscribers", new { phone = n, confirmed = true });
        }
        await Admin.PostAsync("/api/subscribers", new { phone = "+12025550199" }); // pending: only its confirmation
        var longMessage = string.Join(' ', Enumerable.Repeat("Video playback fails on smart TVs and phones while we roll back.", 12));
        var updateId = await PublishAsync(longMessage);

        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"updateId={updateId}&status=sent")).Count == 3, "three SMS are sent");
        var updates = _twilio.Requests.Where(r => r.To != "+12025550199").ToList();
        Assert.Equal(numbers, updates.Select(r => r.To).Order());
        Assert.All(updates, r =>
        {
            Assert.Equal("+15005550006", r.From);
            Assert.Equal("https://status.test/webhooks/twilio/status", r.StatusCallback);
            var measured = SmsRenderer.Measure(r.Body!);
            Assert.True(measured.Segments <= 2, $"{measured.Segments} segments");
            Assert.Equal("GSM-7", measured.Encoding);
            Assert.Matches(@" https://status\.test/incidents/[0-9a-f-]{36}$", r.Body);
        });
        var deliveries = await Admin.AllDeliveriesAsync($"updateId={updateId}&channel=sms");
        Assert.All(deliveries, d =>
        {
            Assert.Equal("twilio", d["provider"]!.GetValue<string>());
            Assert.Equal(updates.Single(r => r.To == d["recipient"]!.GetValue<string>()).Sid, d["providerMessageId"]!.GetValue<string>());
        });
        // A real send stores no copy of its text.
        Assert.Null((await Admin.GetJsonAsync($"/api/deliveries/{deliveries[0]["id"]}"))["rendered"]);
    }

    [Fact]
    public async Task Texts_of_one_batch_go_out_several_at_once_when_the_budget_needs_it()
    {
        // 50 a second while Twilio takes a second to answer: one at a time, the batch would send one a second.
        _twilio.DelayFor = _ => TimeSpan.FromSeconds(1);
        for (var i = 0; i < 12; i++)
        {
            await Admin.PostAsync("/api/subscribers", new { phone = $"+120255501{i:00}", confirmed = true });
        }
        var updateId = await PublishAsync("Investigating.");

        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"updateId={updateId}&status=sent")).Count == 12, "twelve SMS are sent");
        // One batch (12 texts): never more than its parallelism at once, and more than one.
        Assert.Equal(4, SmsAdapter.ParallelismFor(50));
        Assert.InRange(_twilio.MostAtOnce, 2, 4);
        Assert.Equal(12, _twilio.Requests.Count);
        Assert.Equal(12, _twilio.Requests.Select(r => r.To).Distinct().Count());
    }

    [Theory]
    [InlineData(0.1, 1)]
    [InlineData(10, 1)]    // the default: one at a time, four batches at once keep 10 a second with Twilio taking 250 ms
    [InlineData(100, 7)]
    [InlineData(250, 16)]
    [InlineData(1000, 16)] // Twilio limits an account's concurrent requests
    public void A_batch_sends_as_many_texts_at_once_as_its_budget_needs(double perSecond, int atOnce) =>
        Assert.Equal(atOnce, SmsAdapter.ParallelismFor(perSecond));

    [Fact]
    public async Task An_opted_out_number_fails_once_and_is_unsubscribed_and_an_invalid_one_suppressed()
    {
        await Admin.PostAsync("/api/subscribers", new { phone = "+12025550101", confirmed = true });
        await Admin.PostAsync("/api/subscribers", new { phone = "+12025550102", confirmed = true });
        await Admin.PostAsync("/api/subscribers", new { phone = "+12025550103", confirmed = true });
        _twilio.Answer = n => n switch { 1 => (400, 21610), 2 => (400, 21211), _ => (201, null) };
        var updateId = await PublishAsync("Investigating.");

        await Eventually.HoldsAsync(async () =>
        {
            var all = await Admin.AllDeliveriesAsync($"updateId={updateId}");
            return all.Count == 3 && all.All(d => d["status"]!.GetValue<string>() != "queued");
        }, "every SMS delivery settles");
        var deliveries = await Admin.AllDeliveriesAsync($"updateId={updateId}");
        Assert.Equal(2, deliveries.Count(d => d["status"]!.GetValue<string>() == "failed"));
        Assert.Contains(deliveries, d => d["lastError"]?.GetValue<string>()?.Contains("21610", StringComparison.Ordinal) == true);
        await Task.Delay(1500);
        Assert.Equal(3, _twilio.Requests.Count);

        var statuses = await WithDbAsync(db => db.Subscribers.OrderBy(s => s.Address).Select(s => s.Status).ToListAsync());
        var first = _twilio.Requests[0].To;
        var second = _twilio.Requests[1].To;
        Assert.Equal(SubscriberStatus.Unsubscribed, await WithDbAsync(db => db.Subscribers.Where(s => s.Address == first).Select(s => s.Status).SingleAsync()));
        Assert.Equal(SubscriberStatus.Suppressed, await WithDbAsync(db => db.Subscribers.Where(s => s.Address == second).Select(s => s.Status).SingleAsync()));
        Assert.Single(statuses, SubscriberStatus.Confirmed);
    }

    [Fact]
    public async Task A_transient_failure_is_retried_later_and_nobody_gets_a_second_accepted_sms()
    {
        await Admin.PostAsync("/api/subscribers", new { phone = "+12025550101", confirmed = true });
        await Admin.PostAsync("/api/subscribers", new { phone = "+12025550102", confirmed = true });
        _twilio.Answer = n => n == 2 ? (500, null) : (201, null);
        var updateId = await PublishAsync("Investigating.");

        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"updateId={updateId}&status=sent")).Count == 2,
            "both SMS are sent, one after a retry", TimeSpan.FromSeconds(40));
        Assert.Equal(3, _twilio.Requests.Count);
        Assert.Equal(2, _twilio.Accepted.Count);
        Assert.Equal(2, _twilio.Accepted.Select(r => r.To).Distinct().Count());
        var retried = (await Admin.AllDeliveriesAsync($"updateId={updateId}")).Single(d => d["attempts"]!.GetValue<int>() == 2);
        Assert.Equal(_twilio.Requests[1].To, retried["recipient"]!.GetValue<string>());
    }
}
