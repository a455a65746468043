using CommsHub.Core.Channels.Email;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Xunit.Abstractions;

namespace CommsHub.FaultTests;

/// <summary>
/// Providers that throttle, fail, hang or refuse, through the official SendGrid and Twilio SDKs and
/// the webhook client against loopback fakes, on PostgreSQL + RabbitMQ. Times compared are the fakes'
/// own arrival times and the product's log lines, both from this machine's clock.
/// </summary>
public sealed class ProviderFaultTests(ITestOutputHelper output) : IDisposable
{
    // Above the first retry's 4–6 s, so only the header can explain the wait; and long enough that an update published
    // once the 429s are recorded reaches the senders (outbox, broker, planner, broker) while the holds still run.
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(10);
    // A batch's rest is deferred within its own send: a short break suffices, and ends before the failed ones' retries.
    private static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(2);
    // An update published once the circuit has opened must reach the sender while it is still open, through the
    // whole publish path of a loaded machine: a longer break.
    private static readonly TimeSpan PublishedIntoBreak = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(10);       // stands in for a provider that never answers
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);     // configured per provider; a cold first call can take ½ s

    private readonly SendGridFake _sendGrid = new();
    private readonly TwilioFake _twilio = new();
    private readonly ProviderWebhookTarget _a = new();
    private readonly ProviderWebhookTarget _b = new();

    public void Dispose()
    {
        _sendGrid.Dispose();
        _twilio.Dispose();
        _a.Dispose();
        _b.Dispose();
    }

    [Fact]
    public async Task A_429_with_Retry_After_holds_that_provider_until_then_and_the_delivery_is_retried_after_it()
    {
        _sendGrid.StatusFor = n => n == 1 ? 429 : 202;
        var retryAfter = ((int)RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _sendGrid.RetryAfterFor = n => n == 1 ? retryAfter : null;
        _twilio.Answer = n => n == 1 ? (429, 20429) : (201, null);
        _twilio.RetryAfterFor = n => n == 1 ? retryAfter : null;
        _a.Answer = (n, _) => n == 1 ? (429, retryAfter, TimeSpan.Zero) : (200, null, TimeSpan.Zero);
        await using var hub = await ProviderFaultHarness.StartAsync(_sendGrid, _twilio, []);
        await hub.Admin.SubscribeAsync("ann@example.com");
        foreach (var phone in new[] { "+12025550101", "+12025550102", "+12025550103" })
        {
            await hub.Admin.PostAsync("/api/subscribers", new { phone, confirmed = true });
        }
        await hub.Admin.PostAsync("/api/subscribers", new { webhookUrl = _a.Url + "/a", confirmed = true });
        await hub.Admin.PostAsync("/api/subscribers", new { webhookUrl = _b.Url + "/b", confirmed = true });

        var first = await hub.PublishAsync("First");
        await hub.UntilAsync(all => Of(all, first).Count(d => d.NextAttemptAt is not null) == 5 && Of(all, first).Count(d => d.Status == DeliveryStatus.Sent) == 1,
            "each provider answered the first update with a 429 (target B took its post)");
        // A second update while the Retry-Afters run: SendGrid, Twilio and target A are not called for it; target B is.
        var second = await hub.PublishAsync("Second");
        await hub.UntilAsync(all => Of(all, second).Count(d => d.NextAttemptAt is not null && d.Attempts == 0) == 5
                                    && Of(all, second).Count(d => d.Status == DeliveryStatus.Sent) == 1,
            "the second update is deferred for every held provider and posted to target B");

        await hub.UntilAsync(all => all.Count(d => d.Status == DeliveryStatus.Sent) == 12, "everything is sent once the Retry-Afters have passed", 45);

        foreach (var (name, times) in new[] { ("SendGrid", _sendGrid.Arrivals), ("Twilio", _twilio.Arrivals), ("A", _a.Arrivals.Select(a => a.At).ToList()), ("B", _b.Arrivals.Select(a => a.At).ToList()) })
        {
            output.WriteLine($"{name}: " + string.Join(", ", times.Select(t => $"+{(t - _sendGrid.Arrivals[0]).TotalSeconds:0.00}")));
        }
        AssertNothingBefore("SendGrid", _sendGrid.Arrivals, 3);
        AssertNothingBefore("Twilio", _twilio.Arrivals, 1 + 3 + 3);
        AssertNothingBefore("webhook target A", [.. _a.Arrivals.Select(a => a.At)], 3);
        // Target B has its own hold (none): both its posts came while target A's still ran.
        Assert.Equal(["First", "Second"], _b.Arrivals.Select(a => a.Incident));
        Assert.All(_b.Arrivals, b => Assert.True(b.At < _a.Arrivals[0].At + RetryAfter));

        // Told to wait: retried once. Deferred behind a hold: sent on its first attempt (the deferral is no attempt).
        var deliveries = await hub.DeliveriesAsync();
        Assert.Equal(new[] { 1, 1, 2 }, Of(deliveries, first).Where(d => d.Channel == Channel.Sms).Select(d => d.Attempts).Order());
        Assert.Equal(2, Of(deliveries, first).Single(d => d.Channel == Channel.Email).Attempts);
        Assert.Equal(2, Of(deliveries, first).Single(d => d.Recipient.StartsWith(_a.Url, StringComparison.Ordinal)).Attempts);
        Assert.Equal(1, Of(deliveries, first).Single(d => d.Recipient.StartsWith(_b.Url, StringComparison.Ordinal)).Attempts);
        Assert.All(Of(deliveries, second), d => Assert.Equal(1, d.Attempts));
        var email = await hub.AttemptsAsync(Of(deliveries, first).Single(d => d.Channel == Channel.Email).Id);
        Assert.Equal([(429, DeliveryStatus.Queued), (202, DeliveryStatus.Sent)], email.Select(a => (a.HttpStatus ?? 0, a.Outcome)));
    }

    [Fact]
    public async Task A_failing_SendGrid_opens_its_circuit_sends_meanwhile_are_deferred_and_a_probe_closes_it()
    {
        _sendGrid.StatusFor = n => n == 1 ? 500 : 202;
        _sendGrid.DelayFor = n => n == 2 ? Hang : TimeSpan.Zero;
        await using var hub = await ProviderFaultHarness.StartAsync(_sendGrid, _twilio, new()
        {
            ["Channels:Email:SendGrid:Timeout"] = "00:00:02",
            ["Channels:Email:SendGrid:CircuitBreaker:MinimumThroughput"] = "2",
            ["Channels:Email:SendGrid:CircuitBreaker:BreakDuration"] = PublishedIntoBreak.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        });
        await hub.Admin.SubscribeAsync("ann@example.com");

        // A 500, then a hang cut off by the 2 s timeout: two failures of two, and the circuit opens.
        var one = await hub.PublishAsync("One");
        await hub.UntilAsync(all => Of(all, one).SingleOrDefault()?.NextAttemptAt is not null, "the 500 is recorded for a retry");
        var two = await hub.PublishAsync("Two");
        await hub.UntilAsync(all => Of(all, two).SingleOrDefault()?.NextAttemptAt is not null, "the hung send is cut off and recorded for a retry");
        var opened = Assert.Single(hub.Logs.Matching("Circuit for SendGrid opened"));
        Assert.Equal(LogLevel.Warning, opened.Level);

        var three = await hub.PublishAsync("Three");
        await hub.UntilAsync(all => Of(all, three).SingleOrDefault() is { Attempts: 0, NextAttemptAt: not null, Status: DeliveryStatus.Queued },
            "the third update is deferred, not attempted, while the circuit is open");
        await hub.UntilAsync(all => all.All(d => d.Status == DeliveryStatus.Sent), "the probe closes the circuit and everything is sent", 45);

        var arrivals = _sendGrid.Arrivals;
        Assert.Equal(5, arrivals.Count); // two failures, the probe, the two retries: nothing while open
        var whileOpen = arrivals.Count(at => at >= opened.At && at < opened.At + PublishedIntoBreak);
        Assert.Equal(0, whileOpen);
        var probe = arrivals.First(at => at >= opened.At);
        var closed = Assert.Single(hub.Logs.Matching("Circuit for SendGrid closed"));
        Assert.True(closed.At >= probe);
        Assert.Equal(CircuitState.Closed, ((SendGridEmailSender)hub.App.Services.GetRequiredService<IEmailSender>()).CircuitState);
        output.WriteLine($"SendGrid: circuit opened after 2 failures at +{(opened.At - arrivals[0]).TotalSeconds:0.00} s; calls while open: {whileOpen}; " +
                         $"probe {(probe - opened.At).TotalSeconds:0.00} s after opening; closed {(closed.At - probe).TotalMilliseconds:0} ms after the probe arrived");

        var deliveries = await hub.DeliveriesAsync();
        Assert.Equal(1, Of(deliveries, three).Single().Attempts);
        Assert.All(Of(deliveries, one).Concat(Of(deliveries, two)), d => Assert.Equal(2, d.Attempts));
        var hung = (await hub.AttemptsAsync(Of(deliveries, two).Single().Id))[0];
        AssertBoundedByTimeout("SendGrid", hung, Timeout, "SendGrid unreachable: no answer within 2 s");
    }

    [Fact]
    public async Task A_failing_Twilio_opens_its_circuit_the_rest_of_the_batch_is_deferred_and_a_probe_closes_it()
    {
        _twilio.Answer = n => n switch { 1 => (500, 20500), 3 => (503, null), _ => (201, null) };
        _twilio.DelayFor = n => n == 2 ? Hang : TimeSpan.Zero;
        await using var hub = await ProviderFaultHarness.StartAsync(_sendGrid, _twilio, new()
        {
            ["Channels:Sms:Twilio:Timeout"] = "00:00:02",
            ["Channels:Sms:Twilio:CircuitBreaker:MinimumThroughput"] = "3",
            ["Channels:Sms:Twilio:CircuitBreaker:BreakDuration"] = "00:00:02",
        });
        for (var i = 1; i <= 5; i++)
        {
            await hub.Admin.PostAsync("/api/subscribers", new { phone = $"+1202555010{i}", confirmed = true });
        }

        var update = await hub.PublishAsync("Outage");
        // Sent one by one: a 500, a hang cut off at 2 s, a 503 page; the circuit opens and the last two wait.
        await hub.UntilAsync(all => all.Count(d => d.Status == DeliveryStatus.Sent) >= 2, "the probe closes the circuit and the deferred two are sent", 45);

        var arrivals = _twilio.Arrivals;
        var opened = Assert.Single(hub.Logs.Matching("Circuit for Twilio opened"));
        Assert.True(opened.At >= arrivals[2]);
        var whileOpen = arrivals.Count(at => at >= opened.At && at < opened.At + BreakDuration);
        Assert.Equal(0, whileOpen);
        Assert.True(arrivals[3] >= opened.At + BreakDuration);
        Assert.Single(hub.Logs.Matching("Circuit for Twilio closed"));
        Assert.Equal(CircuitState.Closed, ((TwilioSmsSender)hub.App.Services.GetRequiredService<ISmsSender>()).CircuitState);
        output.WriteLine($"Twilio: circuit opened after 3 failures; calls while open: {whileOpen}; probe {(arrivals[3] - opened.At).TotalSeconds:0.00} s after opening");

        var deliveries = await hub.DeliveriesAsync(update);
        // The two deferred while open were sent at their first attempt; the three that failed wait for their own retry.
        var failed = new List<DeliveryAttempt>();
        foreach (var delivery in deliveries)
        {
            failed.AddRange((await hub.AttemptsAsync(delivery.Id)).Where(a => a.Number == 1 && a.Outcome == DeliveryStatus.Queued));
        }
        foreach (var a in failed)
        {
            output.WriteLine($"attempt {a.Number}: {a.HttpStatus} {a.ErrorCode} {a.Error} {a.LatencyMs} ms");
        }
        Assert.Equal(3, failed.Count);
        Assert.Equal(2, deliveries.Count(d => d.Status == DeliveryStatus.Sent && d.Attempts == 1));
        AssertBoundedByTimeout("Twilio", failed.Single(a => a.HttpStatus is null), Timeout, "Twilio unreachable: no answer within 2 s");
        Assert.Equal([500, 503], failed.Where(a => a.HttpStatus is not null).Select(a => a.HttpStatus!.Value).Order());
    }

    [Fact]
    public async Task A_dead_webhook_endpoint_opens_only_its_own_circuit_and_other_targets_keep_receiving()
    {
        _a.Answer = (n, _) => n switch { 1 => (500, null, TimeSpan.Zero), 2 => (200, null, Hang), _ => (200, null, TimeSpan.Zero) };
        await using var hub = await ProviderFaultHarness.StartAsync(_sendGrid, _twilio, new()
        {
            ["Webhooks:Timeout"] = "00:00:02",
            ["Webhooks:CircuitBreaker:MinimumThroughput"] = "2",
            ["Webhooks:CircuitBreaker:BreakDuration"] = PublishedIntoBreak.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        });
        await hub.Admin.PostAsync("/api/subscribers", new { webhookUrl = _a.Url + "/hooks", confirmed = true });
        await hub.Admin.PostAsync("/api/subscribers", new { webhookUrl = _b.Url + "/hooks", confirmed = true });
        bool AtA(Delivery d) => d.Recipient.StartsWith(_a.Url, StringComparison.Ordinal);

        var one = await hub.PublishAsync("One");
        await hub.UntilAsync(all => Of(all, one).SingleOrDefault(AtA)?.NextAttemptAt is not null, "target A's 500 is recorded for a retry");
        var two = await hub.PublishAsync("Two");
        await hub.UntilAsync(all => Of(all, two).SingleOrDefault(AtA)?.NextAttemptAt is not null, "target A's hang is cut off and recorded for a retry");
        var opened = Assert.Single(hub.Logs.Matching("opened"));
        Assert.Contains($"Circuit for {_a.Url} opened", opened.Message);

        var three = await hub.PublishAsync("Three");
        await hub.UntilAsync(all => Of(all, three).SingleOrDefault(AtA) is { Attempts: 0, NextAttemptAt: not null }
                                    && Of(all, three).SingleOrDefault(d => !AtA(d))?.Status == DeliveryStatus.Sent,
            "target A's post is deferred while target B's is sent");
        await hub.UntilAsync(all => all.All(d => d.Status == DeliveryStatus.Sent), "the probe closes A's circuit and every post is delivered", 45);

        var atA = _a.Arrivals;
        Assert.Equal(5, atA.Count); // two failures, the probe, the two retries
        var whileOpen = atA.Count(a => a.At >= opened.At && a.At < opened.At + PublishedIntoBreak);
        Assert.Equal(0, whileOpen);
        Assert.Equal(["One", "Two", "Three"], _b.Arrivals.Select(b => b.Incident));
        Assert.True(_b.Arrivals[2].At < opened.At + PublishedIntoBreak, "target B received the third update while A's circuit was open");
        Assert.Single(hub.Logs.Matching($"Circuit for {_a.Url} closed"));
        Assert.DoesNotContain(hub.Logs.Entries, e => e.Message.Contains($"Circuit for {_b.Url}", StringComparison.Ordinal));
        output.WriteLine($"Webhooks: target A's circuit opened after 2 failures; calls to A while open: {whileOpen}; " +
                         $"B's post of the third update {(_b.Arrivals[2].At - opened.At).TotalSeconds:0.00} s after A's circuit opened");

        var deliveries = await hub.DeliveriesAsync();
        Assert.Equal(1, Of(deliveries, three).Single(AtA).Attempts);
        Assert.All(deliveries.Where(d => !AtA(d)), d => Assert.Equal(1, d.Attempts));
        var hung = (await hub.AttemptsAsync(Of(deliveries, two).Single(AtA).Id))[0];
        AssertBoundedByTimeout("webhook", hung, Timeout, "The endpoint could not be reached: no answer within 2 s");
    }

    [Fact]
    public async Task Permanent_refusals_are_called_exactly_once_fail_and_never_open_a_circuit()
    {
        _sendGrid.StatusFor = n => n switch { 1 => 400, 2 => 401, _ => 403 };
        _twilio.Answer = n => n == 1 ? (400, 21211) : (400, 21610);
        _a.Answer = (_, path) => (path switch { "/gone" => 410, "/bad" => 400, _ => 403 }, null, TimeSpan.Zero);
        await using var hub = await ProviderFaultHarness.StartAsync(_sendGrid, _twilio, new()
        {
            ["Channels:Email:BatchSize"] = "1",
            ["Channels:Email:SendGrid:CircuitBreaker:MinimumThroughput"] = "2",
            ["Channels:Sms:Twilio:CircuitBreaker:MinimumThroughput"] = "2",
            ["Webhooks:CircuitBreaker:MinimumThroughput"] = "2",
        });
        foreach (var email in new[] { "ann@example.com", "bob@example.com", "cy@example.com" })
        {
            await hub.Admin.SubscribeAsync(email);
        }
        var phones = new List<Guid>();
        foreach (var phone in new[] { "+12025550101", "+12025550102" })
        {
            phones.Add(Guid.Parse((await hub.Admin.PostAsync("/api/subscribers", new { phone, confirmed = true }))["id"]!.GetValue<string>()));
        }
        var hooks = new Dictionary<string, Guid>();
        foreach (var path in new[] { "/gone", "/bad", "/forbidden" })
        {
            hooks[path] = Guid.Parse((await hub.Admin.PostAsync("/api/subscribers", new { webhookUrl = _a.Url + path, confirmed = true }))["id"]!.GetValue<string>());
        }

        await hub.PublishAsync("Outage");
        await hub.UntilAsync(all => all.Count == 8 && all.All(d => d.Status == DeliveryStatus.Failed), "every delivery failed");
        await Task.Delay(TimeSpan.FromSeconds(4.5)); // past the earliest retry (4 s) and two redrive rounds

        Assert.Equal([400, 401, 403], _sendGrid.Requests.Select(r => r.Status).Order());
        Assert.Equal(3, _sendGrid.Arrivals.Count);
        Assert.Equal(2, _twilio.Arrivals.Count);
        Assert.Equal(["/bad", "/forbidden", "/gone"], _a.Arrivals.Select(a => a.Path).Order());
        var deliveries = await hub.DeliveriesAsync();
        Assert.All(deliveries, d => Assert.Equal((DeliveryStatus.Failed, 1, (DateTimeOffset?)null), (d.Status, d.Attempts, d.NextAttemptAt)));
        Assert.Empty(hub.Logs.Matching("opened"));

        // Where the code already suppresses: Twilio's 21211 and 21610, and a webhook's 410.
        var sms = deliveries.Where(d => d.Channel == Channel.Sms).ToList();
        Assert.Equal(SubscriberStatus.Suppressed, await hub.SubscriberStatusAsync(sms.Single(d => d.LastError!.Contains("21211", StringComparison.Ordinal)).SubscriberId));
        Assert.Equal(SubscriberStatus.Unsubscribed, await hub.SubscriberStatusAsync(sms.Single(d => d.LastError!.Contains("21610", StringComparison.Ordinal)).SubscriberId));
        Assert.Equal(SubscriberStatus.Unsubscribed, await hub.SubscriberStatusAsync(hooks["/gone"]));
        Assert.Equal(SubscriberStatus.Confirmed, await hub.SubscriberStatusAsync(hooks["/bad"]));
        Assert.Equal(SubscriberStatus.Confirmed, await hub.SubscriberStatusAsync(hooks["/forbidden"]));
    }

    private static IEnumerable<Delivery> Of(IEnumerable<Delivery> deliveries, Guid updateId) => deliveries.Where(d => d.UpdateId == updateId);

    /// <summary>The first call was answered 429 + Retry-After: no call of that provider arrived before its deadline.</summary>
    private void AssertNothingBefore(string provider, IReadOnlyList<DateTime> arrivals, int expectedCalls)
    {
        Assert.Equal(expectedCalls, arrivals.Count);
        var deadline = arrivals[0] + RetryAfter;
        Assert.All(arrivals.Skip(1), at => Assert.True(at >= deadline, $"{provider} was called {(deadline - at).TotalSeconds:0.000} s before its Retry-After ran out"));
        output.WriteLine($"{provider}: Retry-After {RetryAfter.TotalSeconds:0} s; next call {(arrivals[1] - arrivals[0]).TotalSeconds:0.00} s after the 429");
    }

    /// <summary>A provider that hung for <see cref="Hang"/> was given up on at the configured timeout, and the delivery queued for a retry.</summary>
    private void AssertBoundedByTimeout(string provider, DeliveryAttempt attempt, TimeSpan timeout, string error)
    {
        Assert.Equal((DeliveryStatus.Queued, error), (attempt.Outcome, attempt.Error));
        // The timer starts a little before our stopwatch (the SDK builds the request first): hence 90 %.
        Assert.InRange(attempt.LatencyMs, (int)(timeout.TotalMilliseconds * 0.9), (int)Hang.TotalMilliseconds - 1);
        output.WriteLine($"{provider}: a {Hang.TotalSeconds:0} s hang was cut off after {attempt.LatencyMs} ms (timeout {timeout.TotalSeconds:0} s)");
    }
}
