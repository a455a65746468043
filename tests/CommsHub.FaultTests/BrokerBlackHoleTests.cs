using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using CommsHub.FaultTests.Harness;
using FanOutBench.Driver;
using Xunit.Abstractions;

namespace CommsHub.FaultTests;

/// <summary>
/// The API's connection to the broker black-holed (a network that silently drops, through an
/// in-repo TCP proxy) while operators keep publishing. With publisher confirms (the product's
/// setting) every update waits in the outbox and is delivered once the network heals; the API
/// answers as fast as ever. The negative control turns confirms off: the harness must then see
/// updates lost, which proves it can see a loss at all.
/// </summary>
[Collection(FaultPairCollection.Name)]
public sealed class BrokerBlackHoleTests(FaultPair pair, ITestOutputHelper output)
{
    private static readonly Audience Audience = FaultSize.Pick(new Audience(Email: 300, Sms: 0, Webhook: 50), new Audience(Email: 3_000, Sms: 0, Webhook: 500));

    [Fact]
    public async Task With_the_broker_black_holed_for_20_s_publishes_wait_in_the_outbox_the_api_stays_fast_and_every_update_is_delivered_after()
    {
        var run = await RunAsync(confirms: true, blackHole: TimeSpan.FromSeconds(20), updates: 10);

        Assert.True(run.PendingDuringBlackHole > 0, "no outbox row was waiting during the black hole: the scenario did not exercise the outbox");
        Assert.True(run.Tally.Missing == 0 && run.Tally.Extra == 0 && run.Tally.Queued == 0, run.Tally.ToString());
        Assert.InRange(run.SlowestPublish.TotalSeconds, 0, 2);
        Assert.InRange(run.DrainedAfterHeal.TotalSeconds, 0, 60);
    }

    [Fact]
    public async Task Negative_control_with_publisher_confirms_off_the_same_black_hole_loses_updates_and_the_harness_sees_it()
    {
        // Both guarantees off: publisher confirms, and the redrive that publishes an update left unplanned again.
        var run = await RunAsync(confirms: false, blackHole: TimeSpan.FromSeconds(10), updates: 3, replan: false);

        // Confirms off: a publish written into the dead connection counts as done, its outbox row is
        // marked published, and the update never reaches anyone.
        Assert.True(run.Tally.Missing > 0, "confirms off lost nothing: the harness failed to see the loss it exists to see\n" + run.Tally);
        Assert.Equal(0, run.Tally.Extra);
    }

    [Fact]
    public async Task With_publisher_confirms_off_the_updates_lost_on_the_wire_are_planned_again_and_reach_everyone_once()
    {
        // The second line: an update whose event was lost stays unplanned, and the redrive publishes it again.
        var run = await RunAsync(confirms: false, blackHole: TimeSpan.FromSeconds(10), updates: 3, replan: true);

        Assert.True(run.Tally.Missing == 0 && run.Tally.Extra == 0 && run.Tally.Queued == 0, run.Tally.ToString());
    }

    private static async Task<TimeSpan> PublishAsync(Deployment d, string title)
    {
        var started = Stopwatch.StartNew();
        using var response = await d.Admin.PostAsJsonAsync("/api/incidents", new
        {
            title,
            message = "Some viewers cannot start videos. We are investigating.",
            impact = "major",
        });
        var took = started.Elapsed;
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return took;
    }

    private sealed record Run(Tally Tally, TimeSpan SlowestPublish, long PendingDuringBlackHole, TimeSpan DrainedAfterHeal);

    private async Task<Run> RunAsync(bool confirms, TimeSpan blackHole, int updates, bool replan = true)
    {
        await pair.EnsureUpAsync();
        await using var d = await Deployment.CreateAsync(pair, confirms ? "blackhole" : "noconfirm");
        var target = new Uri(d.Environment["ConnectionStrings__RabbitMq"]);
        await using var proxy = TcpProxy.Start("127.0.0.1", target.Port);
        var proxied = new UriBuilder(target) { Port = proxy.Port }.Uri.ToString();
        // Only the API goes through the proxy: the worker keeps consuming what does reach the broker.
        await d.StartApiAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__RabbitMq"] = proxied,
            ["RabbitMq__PublisherConfirmation"] = confirms ? "true" : "false",
        });
        // Every process dispatches the outbox; here only the API may, so its black-holed connection is the one path.
        var worker = new Dictionary<string, string> { ["Outbox__DispatcherEnabled"] = "false" };
        if (!replan)
        {
            worker["Deliveries__Redrive__PlanAfter"] = "1.00:00:00";
        }
        await d.StartWorkerAsync(Audience, worker);
        await d.Driver.ImportAsync(Audience, chunk: 10_000);
        d.Fakes.Reset(Audience);
        // One update before the fault, as in any running deployment: the exchanges exist, so with
        // confirms off a publish no longer waits for any answer from the broker.
        await PublishAsync(d, "Investigating playback errors");
        await Eventually.HoldsAsync(() => Task.FromResult(d.Fakes.Email.Recipients + d.Fakes.Webhook.Recipients >= Audience.Total),
            "the update before the fault reached everyone");

        proxy.BlackHole();
        var holed = Stopwatch.StartNew();
        var slowest = TimeSpan.Zero;
        var interval = blackHole / (updates + 1);
        for (var i = 0; i < updates; i++)
        {
            await Task.Delay(interval);
            var took = await PublishAsync(d, $"Playback failing ({i + 1})");
            slowest = took > slowest ? took : slowest;
            output.WriteLine($"{holed.Elapsed.TotalSeconds:0.0} s: update {i + 1} published in {took.TotalMilliseconds:0} ms");
        }
        var pending = await d.ScalarAsync<long>("SELECT count(*) FROM outbox_messages WHERE published_at IS NULL");
        output.WriteLine($"{holed.Elapsed.TotalSeconds:0.0} s: {pending} outbox row(s) waiting; fakes saw {d.Fakes.Email.Recipients + d.Fakes.Webhook.Recipients:N0}");
        var rest = blackHole - holed.Elapsed;
        if (rest > TimeSpan.Zero)
        {
            await Task.Delay(rest);
        }
        proxy.Forward();
        var healed = Stopwatch.StartNew();
        output.WriteLine($"{holed.Elapsed.TotalSeconds:0.0} s: network healed");

        // Done when every recipient has every update, or (the control) when nothing has moved for 5 s.
        var expected = (long)Audience.Total * (updates + 1);
        long last = -1;
        var still = Stopwatch.StartNew();
        while (healed.Elapsed < TimeSpan.FromSeconds(FaultSize.Pick(60, 120)))
        {
            var seen = d.Fakes.Email.Recipients + d.Fakes.Webhook.Recipients;
            var queued = await d.ScalarAsync<long>("SELECT count(*) FROM deliveries WHERE status = 'queued'");
            var waiting = await d.ScalarAsync<long>("SELECT count(*) FROM outbox_messages WHERE published_at IS NULL");
            if (seen >= expected && queued == 0 && waiting == 0)
            {
                break;
            }
            if (seen != last)
            {
                last = seen;
                still.Restart();
            }
            else if (still.Elapsed > TimeSpan.FromSeconds(5) && queued == 0 && waiting == 0)
            {
                break;
            }
            await Task.Delay(200);
        }
        var drained = healed.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(2)); // a duplicate would arrive meanwhile
        var tally = await Tally.TakeAsync(d, Audience, times: updates + 1);
        output.WriteLine(tally.ToString());
        output.WriteLine($"slowest publish {slowest.TotalMilliseconds:0} ms; settled {drained.TotalSeconds:0.0} s after the network healed");
        return new Run(tally, slowest, pending, drained);
    }
}
