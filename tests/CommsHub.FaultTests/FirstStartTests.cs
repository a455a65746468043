using System.Net;
using System.Net.Http.Json;
using CommsHub.FaultTests.Harness;
using FanOutBench.Driver;
using Xunit.Abstractions;

namespace CommsHub.FaultTests;

/// <summary>
/// A brand-new RabbitMQ virtual host: the API publishes before any worker has ever run, so the
/// planner's queue does not exist yet and the broker confirms the event with nowhere to put it but
/// the status page's queue. The update was stored unplanned; the first worker plans it (the redrive
/// re-publishes an update left unplanned) and every subscriber hears of it exactly once.
/// </summary>
[Collection(FaultPairCollection.Name)]
public sealed class FirstStartTests(FaultPair pair, ITestOutputHelper output)
{
    private static readonly Audience Audience = FaultSize.Pick(new Audience(Email: 200, Sms: 50, Webhook: 20), new Audience(Email: 2_000, Sms: 500, Webhook: 200));
    private const int Updates = 3;

    [Fact]
    public async Task Updates_published_on_a_new_virtual_host_before_any_worker_ran_reach_everyone_once_when_the_first_worker_starts()
    {
        await pair.EnsureUpAsync();
        await using var d = await Deployment.CreateAsync(pair, "firststart");
        await d.StartApiAsync();
        await d.Driver.ImportAsync(Audience);
        d.Fakes.Reset(Audience);

        for (var i = 1; i <= Updates; i++)
        {
            using var response = await d.Admin.PostAsJsonAsync("/api/incidents", new
            {
                title = $"Playback failing ({i})",
                message = "Some viewers cannot start videos. We are investigating.",
                impact = "major",
            });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        // The events left the outbox (the broker confirmed them), and nothing was planned: there is no worker.
        await Eventually.HoldsAsync(async () => await d.ScalarAsync<long>("SELECT count(*) FROM outbox_messages WHERE published_at IS NULL") == 0,
            "the API published its outbox", TimeSpan.FromSeconds(60));
        Assert.Equal(0, await d.ScalarAsync<long>("SELECT count(*) FROM deliveries"));
        Assert.Equal(Updates, await d.ScalarAsync<long>("SELECT count(*) FROM incident_updates WHERE planned_at IS NULL"));

        var started = Clock.Now;
        await d.StartWorkerAsync(Audience);
        var expected = (long)Audience.Total * Updates;
        await Eventually.HoldsAsync(async () =>
                d.Fakes.Email.Recipients + d.Fakes.Sms.Recipients + d.Fakes.Webhook.Recipients >= expected
                && await d.ScalarAsync<long>("SELECT count(*) FROM deliveries WHERE status = 'queued'") == 0,
            $"all {Updates} updates reached all {Audience.Total} subscribers", TimeSpan.FromSeconds(FaultSize.Pick(90, 180)));
        var took = Clock.SecondsBetween(started, Clock.Now);
        // The planner marks an update planned after its last channel: then the count is final.
        await Eventually.HoldsAsync(async () => await d.ScalarAsync<long>("SELECT count(*) FROM incident_updates WHERE planned_at IS NULL") == 0,
            "every update is marked planned", TimeSpan.FromSeconds(30));
        var tally = await Tally.TakeAsync(d, Audience, times: Updates);
        output.WriteLine(tally.ToString());
        output.WriteLine($"{Updates}/{Updates} updates delivered {took:0.0} s after the first worker started");

        Assert.True(tally.Missing == 0 && tally.Extra == 0 && tally.Queued == 0 && tally.Failed == 0, tally + d.Logs());
        Assert.Equal(expected, await d.ScalarAsync<long>("SELECT count(*) FROM deliveries"));
    }
}
