using CommsHub.FaultTests.Harness;
using FanOutBench.Driver;
using FanOutBench.Fakes;
using Npgsql;
using Xunit.Abstractions;

namespace CommsHub.FaultTests;

/// <summary>
/// The worker SIGKILLed five times at random moments of a fan-out, restarted after each kill.
/// Nothing may be lost. A repeat is allowed only for a send in flight at a kill: the provider
/// accepted it, and the worker died before recording that (the request on the wire, or its outcome
/// not yet committed). Every repeat is matched to a kill to prove it: the recipient had been reached
/// before the kill, and the database, read once the killed process was gone, did not record it sent.
/// </summary>
[Collection(FaultPairCollection.Name)]
public sealed class WorkerKillTests(FaultPair pair, ITestOutputHelper output)
{
    private static readonly Audience Audience = FaultSize.Pick(new Audience(Email: 7_500, Sms: 1_500, Webhook: 1_000),
        new Audience(Email: 75_000, Sms: 15_000, Webhook: 10_000));

    private static readonly TimeSpan EmailLatency = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan SmsLatency = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan WebhookLatency = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task Five_worker_kills_during_a_fan_out_lose_nothing_and_every_repeat_was_in_flight_at_a_kill()
    {
        await pair.EnsureUpAsync();
        await using var d = await Deployment.CreateAsync(pair, "workerkill", new Dictionary<string, string>
        {
            ["Channels__Email__BatchSize"] = "100",
            ["Channels__Sms__MessagesPerSecond"] = FaultSize.Pick("150", "600"),
            // A killed worker's claim lapses after this; then the retry sweep sends what it held.
            ["Deliveries__LeaseDuration"] = "00:00:10",
            // The fakes answer Email Activity look-ups as SendGrid does: an email batch in doubt is looked up, not re-sent blind.
            ["Channels__Email__SendGrid__ActivityApi"] = "true",
        });
        d.Fakes.EmailLatency = EmailLatency;
        d.Fakes.SmsLatency = SmsLatency;
        d.Fakes.WebhookLatency = WebhookLatency;
        await d.StartApiAsync();
        await d.StartWorkerAsync(Audience);
        await d.Driver.ImportAsync(Audience, chunk: 10_000);

        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"kill schedule seed {seed}");
        var publication = await d.Driver.PublishAsync(Audience, "Playback failing (worker kills)");
        var start = Clock.Now;
        // Each kill as the interval from sending SIGKILL to the process being gone: a request the worker
        // wrote just before it died may reach the provider a moment after the signal was sent.
        var kills = new List<(long From, long To)>();
        // What the database recorded as sent once each killed worker was gone: all that worker committed.
        var recorded = new List<IReadOnlyDictionary<string, HashSet<int>>>();
        for (var k = 1; k <= 5; k++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1 + (random.NextDouble() * 3)));
            var at = Clock.Now;
            await d.Worker!.KillAsync();
            kills.Add((at, Clock.Now));
            recorded.Add(await SentAsync(d));
            output.WriteLine($"{Clock.SecondsBetween(start, at):0.00} s: worker killed ({k}); {BrokerFaultTests.Progress(d, Audience)}");
            await d.StartWorkerAsync(Audience);
        }
        var lastKill = kills[^1].To;

        var drained = await BrokerFaultTests.DrainAsync(d, publication, Audience, TimeSpan.FromSeconds(FaultSize.Pick(90, 240)));
        await Task.Delay(TimeSpan.FromSeconds(3));
        var tally = await Tally.TakeAsync(d, Audience);
        output.WriteLine(tally.ToString());
        output.WriteLine($"drained {Clock.SecondsBetween(lastKill, drained):0.0} s after the last kill");

        var inDoubt = await InDoubtAsync(d);
        var unexplained = new List<string>();
        foreach (var channel in tally.Channels)
        {
            var byKill = kills.Select(_ => 0).ToArray();
            var slowest = 0.0;
            foreach (var repeat in channel.Repeats)
            {
                // The first kill after the recipient was first reached, at which the database did not hold it as sent.
                // (A dead process's socket still flushes what it had written: a quarter second of grace after it is gone.)
                var kill = kills.FindIndex(k => Clock.SecondsBetween(k.To, repeat.FirstTicks) <= 0.25 && repeat.Ticks > k.From);
                if (kill < 0 || recorded[kill][channel.Channel].Contains(repeat.Index))
                {
                    unexplained.Add($"{channel.Channel} recipient {repeat.Index}: first reached at {Clock.SecondsBetween(start, repeat.FirstTicks):0.00} s, " +
                                    $"again at {Clock.SecondsBetween(start, repeat.Ticks):0.00} s, " +
                                    (kill < 0 ? "no kill in between" : $"already recorded sent when the worker was killed at {Clock.SecondsBetween(start, kills[kill].From):0.00} s"));
                }
                else
                {
                    byKill[kill]++;
                    slowest = Math.Max(slowest, Clock.SecondsBetween(repeat.FirstTicks, kills[kill].From));
                }
            }
            var doubt = inDoubt.GetValueOrDefault(channel.Channel);
            output.WriteLine($"{channel.Channel}: {channel.Extra} repeat(s), by kill: {string.Join(", ", byKill)} " +
                             $"({100.0 * channel.Extra / channel.Expected:0.000} % of the channel; reached at most {slowest:0.00} s before its kill); " +
                             $"in doubt after the kills {doubt.InDoubt}, found accepted at the provider {doubt.Found}, sent again {doubt.InDoubt - doubt.Found}");
        }
        output.WriteLine($"look-ups answered: Twilio {d.Fakes.SmsLookups}, SendGrid Email Activity {d.Fakes.EmailLookups}");
        output.WriteLine($"repeats overall: {tally.Extra} of {tally.Expected} ({100.0 * tally.Extra / tally.Expected:0.000} %)");

        Assert.True(tally.Missing == 0 && tally.Queued == 0 && tally.Failed == 0, tally + d.Logs());
        Assert.True(unexplained.Count == 0, string.Join('\n', unexplained.Take(20)));
        // Per kill at most what one worker can have in flight: its concurrent email requests (16 × 100),
        // SMS batches (4 × the last quarter second) and webhook batches (8 × (16 posts on the wire + a group of at
        // most 500 answers, a quarter second of sending, not yet recorded)) — see docs/reliability.md.
        Assert.InRange(tally.Extra, 0, kills.Count * ((16 * 100) + 4 * 100 + (8 * (16 + 500))));
        // A text in doubt is looked up in Twilio's message list before it is sent again: the goal is at most 0.1 % repeated.
        var sms = tally.Channels.Single(c => c.Channel == "sms");
        Assert.True(sms.Extra <= sms.Expected / 1000, $"{sms.Extra} SMS repeats of {sms.Expected}: more than 0.1 %");
    }

    // What the senders found in doubt once a killed worker's leases lapsed, from their audit entries.
    private static async Task<Dictionary<string, (long InDoubt, long Found)>> InDoubtAsync(Deployment d)
    {
        var counts = new Dictionary<string, (long InDoubt, long Found)>();
        await using var db = new NpgsqlConnection(d.ConnectionString);
        await db.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            SELECT data::jsonb->>'channel', SUM((data::jsonb->>'inDoubt')::int), SUM((data::jsonb->>'foundSent')::int)
            FROM audit_entries WHERE action = 'delivery.in_doubt' GROUP BY 1
            """, db);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
        }
        return counts;
    }

    private static async Task<IReadOnlyDictionary<string, HashSet<int>>> SentAsync(Deployment d)
    {
        var sent = new Dictionary<string, HashSet<int>> { ["email"] = [], ["sms"] = [], ["webhook"] = [] };
        await using var db = new NpgsqlConnection(d.ConnectionString);
        await db.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT channel, recipient FROM deliveries WHERE status = 'sent'", db);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var channel = reader.GetString(0);
            var recipient = reader.GetString(1);
            var index = channel switch
            {
                "email" => Addresses.ParseEmail(recipient),
                "sms" => Addresses.ParsePhone(recipient),
                "webhook" => Addresses.ParseWebhookPath(new Uri(recipient).AbsolutePath),
                _ => -1,
            };
            if (index >= 0 && sent.TryGetValue(channel, out var set))
            {
                set.Add(index);
            }
        }
        return sent;
    }
}
