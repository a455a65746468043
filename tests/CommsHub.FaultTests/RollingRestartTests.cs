using System.Net;
using System.Net.Http.Json;
using CommsHub.FaultTests.Harness;
using FanOutBench.Driver;
using FanOutBench.Host;
using Xunit.Abstractions;

namespace CommsHub.FaultTests;

/// <summary>
/// A rolling restart, what Kubernetes and <c>docker compose up</c> do on every deploy: SIGTERM to a
/// running process, and a new one started, sometimes before the old one has gone. Unlike a kill,
/// this must cost nothing: a request on the wire runs to its answer and is recorded, what was never
/// tried is handed back to the next process, and the process exits by itself within its shutdown
/// timeout (never by the SIGKILL that follows it).
/// </summary>
[Collection(FaultPairCollection.Name)]
public sealed class RollingRestartTests(FaultPair pair, ITestOutputHelper output)
{
    private static readonly Audience Audience = FaultSize.Pick(new Audience(Email: 7_500, Sms: 1_500, Webhook: 1_000),
        new Audience(Email: 75_000, Sms: 15_000, Webhook: 10_000));

    /// <summary>
    /// How long a stopped process may take: the hosts' shutdown timeout (<c>Shutdown:Timeout</c>, 40 s by
    /// default; see docs/operations.md). After it the harness sends SIGKILL, as Kubernetes does at the
    /// end of its grace period, and the test fails.
    /// </summary>
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(40);

    private const int Restarts = 5;

    private sealed record Stop(int Number, string Process, bool Overlapping, double AtSeconds, double TookSeconds, bool ByItself, int? ExitCode, string Progress);

    [Fact]
    public async Task Five_worker_sigterms_during_a_fan_out_lose_nothing_and_send_nothing_twice()
    {
        await pair.EnsureUpAsync();
        await using var d = await Deployment.CreateAsync(pair, "rolling", new Dictionary<string, string>
        {
            // Small batches, slow answers and SMS at the default rate (10/s: 150 s for 1,500) stretch the
            // fan-out over the five restarts (a worker takes 5–20 s to start on a loaded 2-core machine), so
            // every SIGTERM lands in the middle of it. An SMS batch (100) at this rate is what used to hold a
            // stopping worker for 40 s.
            ["Channels__Email__BatchSize"] = FaultSize.Pick("20", "100"),
            ["Channels__Sms__MessagesPerSecond"] = FaultSize.Pick("10", "200"),
            // A slow stop can then be read in the worker's log, endpoint by endpoint ("Endpoint Completed").
            ["Logging__LogLevel__MassTransit"] = "Debug",
            // Should a stopped worker leave a claim behind, it lapses within the drain window and shows
            // up as a repeat (or, had nothing re-sent it, as queued), not as a two-minute wait. (Senders
            // renew their claim while a batch is sent, so a long webhook batch keeps it.)
            ["Deliveries__LeaseDuration"] = "00:01:00",
        });
        // Slow answers: a SIGTERM finds requests on the wire, which must run to their answer and be recorded.
        d.Fakes.EmailLatency = TimeSpan.FromMilliseconds(FaultSize.Pick(3000, 1000));
        d.Fakes.SmsLatency = TimeSpan.FromMilliseconds(50);
        d.Fakes.WebhookLatency = TimeSpan.FromMilliseconds(FaultSize.Pick(5000, 1000));
        await d.StartApiAsync();
        await d.StartWorkerAsync(Audience);
        await d.Driver.ImportAsync(Audience, chunk: 10_000);

        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"restart schedule seed {seed}");
        var publication = await d.Driver.PublishAsync(Audience, "Playback failing (rolling restart)");
        var start = Clock.Now;
        var stops = new List<Stop>();
        var during = new List<int>(); // how many channels were still sending at each SIGTERM
        for (var k = 1; k <= Restarts; k++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1 + (random.NextDouble() * 2)));
            var old = d.Worker!;
            // Rolling updates start the new pod first and stop the old one once the new one is ready:
            // the second and fourth restart always overlap, the others at random.
            var overlapping = k % 2 == 0 || random.Next(2) == 0;
            if (overlapping)
            {
                var fresh = d.StartWorkerProcess();
                await WaitConsumersAsync(d, fresh, 2);
            }
            var progress = BrokerFaultTests.Progress(d, Audience);
            var sending = Audience.Channels.Where(c => d.Fakes.For(c).Recipients < Audience.Count(c)).ToList();
            var at = Clock.Now;
            var byItself = await old.StopAsync(ShutdownTimeout);
            var took = Clock.SecondsBetween(at, Clock.Now);
            var stop = new Stop(k, "worker", overlapping, Clock.SecondsBetween(start, at), took, byItself, old.ExitCode, progress);
            stops.Add(stop);
            during.Add(sending.Count);
            output.WriteLine(Describe(stop) + $"; sending: {string.Join(", ", sending)}");
            if (!overlapping)
            {
                await d.StartWorkerAsync(Audience);
            }
        }
        var last = Clock.Now;

        var drained = await BrokerFaultTests.DrainAsync(d, publication, Audience, TimeSpan.FromSeconds(FaultSize.Pick(180, 300)));
        await Task.Delay(TimeSpan.FromSeconds(3)); // a late repeat would arrive meanwhile
        var tally = await Tally.TakeAsync(d, Audience);
        output.WriteLine(tally.ToString());
        output.WriteLine($"drained {Clock.SecondsBetween(last, drained):0.0} s after the last restart");
        foreach (var channel in tally.Channels)
        {
            output.WriteLine($"{channel.Channel}: {channel.Extra} duplicate(s) ({100.0 * channel.Extra / channel.Expected:0.00} %)" +
                             string.Concat(channel.Repeats.Take(5).Select(r =>
                                 $"; recipient {r.Index} at {Clock.SecondsBetween(start, r.FirstTicks):0.00} s and {Clock.SecondsBetween(start, r.Ticks):0.00} s")));
        }

        Assert.True(tally.Missing == 0 && tally.Queued == 0 && tally.Failed == 0, tally + d.Logs());
        Assert.True(tally.Extra == 0, "a graceful stop sent something twice:\n" + tally);
        // A command interrupted by the stop went back to its queue for the next worker, never to an error queue.
        var parked = (await pair.Infra.QueuesAsync(d.VirtualHost)).Where(q => q.Key.EndsWith("_error", StringComparison.Ordinal) && q.Value.Messages > 0).ToList();
        Assert.True(parked.Count == 0, "parked by the stop: " + string.Join(", ", parked.Select(q => $"{q.Key} {q.Value.Messages}")));
        Assert.All(stops, s => Assert.True(s.ByItself, $"{Describe(s)}: killed after {ShutdownTimeout.TotalSeconds:0} s\n{d.Logs(40)}"));
        // Otherwise the test proved nothing: every SIGTERM landed in the middle of the fan-out.
        Assert.All(during, n => Assert.True(n > 0, "a SIGTERM came after the fan-out had finished: " + string.Join("; ", stops.Select(s => s.Progress))));
    }

    [Fact]
    public async Task Five_api_sigterms_while_updates_are_published_lose_nothing_and_send_nothing_twice()
    {
        var audience = FaultSize.Pick(new Audience(Email: 80, Sms: 10, Webhook: 10), new Audience(Email: 400, Sms: 50, Webhook: 50));
        await pair.EnsureUpAsync();
        await using var d = await Deployment.CreateAsync(pair, "rollingapi", new Dictionary<string, string>
        {
            ["Channels__Sms__MessagesPerSecond"] = "1000",
            ["Deliveries__LeaseDuration"] = "00:00:20",
        });
        await d.StartApiAsync();
        await d.StartWorkerAsync(audience);
        await d.Driver.ImportAsync(audience);
        d.Fakes.Reset(audience);

        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"restart schedule seed {seed}");
        using var publishing = new CancellationTokenSource();
        var accepted = 0;
        var refused = 0;
        var inDoubt = new List<string>();
        // An operator (or an integration) publishing updates one after another through the restarts. A
        // request refused (no API running) is simply not counted. One that failed on the wire is in doubt
        // for the client: a keep-alive connection the stopping API closed just as the request went out
        // (HttpRequestError.ResponseEnded). The API must never have taken such a request: checked below,
        // every planned update is one that was answered 201.
        var publisher = Task.Run(async () =>
        {
            var i = 0;
            while (!publishing.IsCancellationRequested)
            {
                i++;
                try
                {
                    using var response = await d.Admin.PostAsJsonAsync("/api/incidents", new
                    {
                        title = $"Playback failing ({i})",
                        message = "Some viewers cannot start videos. We are investigating.",
                        impact = "major",
                        channels = audience.Channels,
                    });
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        Interlocked.Increment(ref accepted);
                    }
                    else if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                    {
                        Interlocked.Increment(ref refused); // not taken: said so
                    }
                    else
                    {
                        lock (inDoubt)
                        {
                            inDoubt.Add($"update {i}: answered {(int)response.StatusCode}");
                        }
                    }
                }
                catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError)
                {
                    Interlocked.Increment(ref refused);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    lock (inDoubt)
                    {
                        inDoubt.Add($"update {i}: {(e as HttpRequestException)?.HttpRequestError.ToString() ?? e.GetType().Name} {e.Message}");
                    }
                }
                await Task.Delay(100);
            }
        });

        var start = Clock.Now;
        var stops = new List<Stop>();
        for (var k = 1; k <= Restarts; k++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1 + (random.NextDouble() * 2)));
            var old = d.Api!;
            var at = Clock.Now;
            var progress = $"{Volatile.Read(ref accepted)} updates accepted";
            // One port on this machine, so the new API starts once the old one has gone (two pods behind a
            // service would overlap; the worker test overlaps).
            var byItself = await old.StopAsync(ShutdownTimeout);
            var stop = new Stop(k, "api", false, Clock.SecondsBetween(start, at), Clock.SecondsBetween(at, Clock.Now), byItself, old.ExitCode, progress);
            stops.Add(stop);
            output.WriteLine(Describe(stop));
            await d.StartApiAsync();
        }
        await Task.Delay(TimeSpan.FromSeconds(1));
        await publishing.CancelAsync();
        await publisher;

        var expected = (long)audience.Total * accepted;
        await Eventually.HoldsAsync(async () =>
                audience.Channels.Sum(c => d.Fakes.For(c).Recipients) >= expected
                && await d.ScalarAsync<long>("SELECT count(*) FROM deliveries WHERE status = 'queued'") == 0,
            $"all {accepted} updates reached all {audience.Total} subscribers", TimeSpan.FromSeconds(FaultSize.Pick(90, 180)));
        await Task.Delay(TimeSpan.FromSeconds(3));
        var tally = await Tally.TakeAsync(d, audience, times: accepted);
        var planned = await d.ScalarAsync<long>("SELECT count(DISTINCT update_id) FROM deliveries");
        output.WriteLine(tally.ToString());
        output.WriteLine($"{accepted} updates accepted, {refused} refused while no API ran, {inDoubt.Count} in doubt; {planned} updates planned");
        output.WriteLine(string.Join('\n', inDoubt));

        Assert.DoesNotContain(inDoubt, x => x.Contains(" answered ", StringComparison.Ordinal)); // no error answers, only cut connections
        Assert.Equal(accepted, planned); // nothing taken without its 201, nothing answered 201 and not planned
        Assert.True(tally.Missing == 0 && tally.Extra == 0 && tally.Queued == 0 && tally.Failed == 0, tally + d.Logs());
        Assert.Equal(0, await d.ScalarAsync<long>("SELECT count(*) FROM outbox_messages WHERE published_at IS NULL"));
        Assert.All(stops, s => Assert.True(s.ByItself, $"{Describe(s)}: killed after {ShutdownTimeout.TotalSeconds:0} s\n{d.Logs(40)}"));
    }

    private static string Describe(Stop s) =>
        $"{s.AtSeconds:0.00} s: {s.Process} SIGTERM {s.Number}{(s.Overlapping ? " (its successor already running)" : "")}; " +
        $"{(s.ByItself ? $"exited by itself after {s.TookSeconds:0.00} s, code {s.ExitCode}" : "KILLED after the shutdown timeout")}; progress then: {s.Progress}";

    /// <summary>Waits until the planner and every sender queue has <paramref name="consumers"/> consumers: the new worker is ready beside the old.</summary>
    private async Task WaitConsumersAsync(Deployment d, HostProcess fresh, int consumers)
    {
        var wanted = new[] { "audience-planner" }.Concat(Audience.Channels.Select(c => $"send-{c}-batch")).ToList();
        var deadline = Clock.Now + (120 * System.Diagnostics.Stopwatch.Frequency);
        while (true)
        {
            var queues = await pair.Infra.QueuesAsync(d.VirtualHost);
            if (wanted.All(q => queues.TryGetValue(q, out var v) && v.Consumers >= consumers))
            {
                return;
            }
            if (fresh.Exited)
            {
                throw new InvalidOperationException("the new worker exited:\n" + fresh.Tail());
            }
            if (Clock.Now > deadline)
            {
                throw new TimeoutException($"the new worker was not consuming after 120 s:\n{fresh.Tail()}");
            }
            await Task.Delay(100);
        }
    }
}
