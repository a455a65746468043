using CommsHub.FaultTests.Harness;
using FanOutBench.Driver;
using Xunit.Abstractions;

namespace CommsHub.FaultTests;

/// <summary>
/// The broker restarted twice and killed once while an update fans out: nothing lost, nothing
/// doubled, and the fan-out drained soon after the broker is back. The outbox keeps what was not
/// confirmed; the send commands live in durable queues; the senders' claims make a redelivered
/// command harmless.
/// </summary>
[Collection(FaultPairCollection.Name)]
public sealed class BrokerFaultTests(FaultPair pair, ITestOutputHelper output)
{
    // CI: 10,000 deliveries; soak: 100,000. Slow fakes and a modest SMS budget stretch the fan-out
    // over the fault schedule.
    private static readonly Audience Audience = FaultSize.Pick(new Audience(Email: 7_500, Sms: 1_500, Webhook: 1_000),
        new Audience(Email: 75_000, Sms: 15_000, Webhook: 10_000));

    private static Dictionary<string, string> Settings() => new()
    {
        ["Channels__Email__BatchSize"] = "100",
        // A sender that lost its claim mid-send shows up within the drain window (as a duplicate), not after 2 minutes.
        ["Deliveries__LeaseDuration"] = "00:00:20",
        ["Channels__Sms__MessagesPerSecond"] = FaultSize.Pick("150", "600"),
    };

    // At CI size slow answers stretch 10,000 deliveries over the fault schedule; at soak size the
    // audience does, and answers at SendGrid's usual pace keep the fan-out itself within the minute.
    private static void SlowFakes(Deployment d)
    {
        d.Fakes.EmailLatency = TimeSpan.FromMilliseconds(FaultSize.Pick(1500, 150));
        d.Fakes.SmsLatency = TimeSpan.FromMilliseconds(20);
        d.Fakes.WebhookLatency = TimeSpan.FromMilliseconds(FaultSize.Pick(800, 100));
    }

    [Fact]
    public async Task A_fan_out_through_two_broker_restarts_and_a_broker_kill_loses_nothing_and_doubles_nothing()
    {
        await pair.EnsureUpAsync();
        await using var d = await Deployment.CreateAsync(pair, "broker", Settings());
        SlowFakes(d);
        await d.StartApiAsync();
        await d.StartWorkerAsync(Audience);
        await d.Driver.ImportAsync(Audience, chunk: 10_000);

        var publication = await d.Driver.PublishAsync(Audience, "Playback failing (broker faults)");
        var start = Clock.Now;
        try
        {
            for (var restart = 1; restart <= 2; restart++)
            {
                await Task.Delay(TimeSpan.FromSeconds(1.5));
                await pair.BrokerStopAppAsync();
                output.WriteLine($"{Clock.SecondsBetween(start, Clock.Now):0.0} s: broker stopped ({restart})");
                await Task.Delay(TimeSpan.FromSeconds(2));
                await pair.BrokerStartAppAsync();
                output.WriteLine($"{Clock.SecondsBetween(start, Clock.Now):0.0} s: broker started ({restart})");
            }
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            await pair.BrokerKillAsync();
            output.WriteLine($"{Clock.SecondsBetween(start, Clock.Now):0.0} s: broker killed; progress {Progress(d, Audience)}");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        finally
        {
            await pair.EnsureUpAsync();
        }
        var back = Clock.Now;
        output.WriteLine($"{Clock.SecondsBetween(start, back):0.0} s: broker back; progress {Progress(d, Audience)}");

        var drained = await DrainAsync(d, publication, Audience, TimeSpan.FromSeconds(FaultSize.Pick(60, 180)));
        await Task.Delay(TimeSpan.FromSeconds(3)); // a late duplicate would arrive meanwhile
        var tally = await Tally.TakeAsync(d, Audience);
        output.WriteLine(tally.ToString());
        output.WriteLine($"drained {Clock.SecondsBetween(back, drained):0.0} s after the broker was back " +
                         $"({Clock.SecondsBetween(start, drained):0.0} s after the publish)");

        Assert.True(tally.Missing == 0 && tally.Extra == 0 && tally.Queued == 0 && tally.Failed == 0, tally + d.Logs());
        Assert.All(tally.Channels, c => Assert.Equal(c.Expected, c.Sent));
        Assert.InRange(Clock.SecondsBetween(back, drained), 0, 60);
    }

    /// <summary>Waits for the fan-out to finish; returns when it did (or the deadline passed: the tally then says what is missing).</summary>
    internal static async Task<long> DrainAsync(Deployment d, Publication publication, Audience audience, TimeSpan deadline)
    {
        try
        {
            var completion = await d.Driver.WaitAsync(publication, audience, deadline);
            return completion.SettledTicks;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            return Clock.Now;
        }
    }

    internal static string Progress(Deployment d, Audience audience) =>
        string.Join(", ", audience.Channels.Select(c => $"{c} {d.Fakes.For(c).Recipients:N0}/{audience.Count(c):N0}"));
}
