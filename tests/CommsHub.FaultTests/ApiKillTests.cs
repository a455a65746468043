using System.Net;
using System.Net.Http.Json;
using CommsHub.FaultTests.Harness;
using FanOutBench.Driver;
using Xunit.Abstractions;

namespace CommsHub.FaultTests;

/// <summary>
/// The API SIGKILLed between the commit of an update and its publish to the broker. The fault
/// hook is the API's own switch <c>Outbox:DispatcherEnabled=false</c>: each update and its outbox
/// row commit, the 201 goes out, and the process never publishes, so all 100 updates are in that
/// window when it is killed. Nothing else may publish them (the worker's dispatcher and the outbox
/// sweep are off too): only the restarted API, from its outbox.
/// </summary>
[Collection(FaultPairCollection.Name)]
public sealed class ApiKillTests(FaultPair pair, ITestOutputHelper output)
{
    private static readonly Audience Audience = FaultSize.Pick(new Audience(Email: 20, Sms: 0, Webhook: 5), new Audience(Email: 200, Sms: 0, Webhook: 20));
    private const int Updates = 100;

    [Fact]
    public async Task An_api_killed_between_commit_and_publish_delivers_all_100_updates_after_its_restart()
    {
        await pair.EnsureUpAsync();
        await using var d = await Deployment.CreateAsync(pair, "apikill");
        await d.StartApiAsync(new Dictionary<string, string> { ["Outbox__DispatcherEnabled"] = "false" });
        await d.StartWorkerAsync(Audience, new Dictionary<string, string>
        {
            ["Outbox__DispatcherEnabled"] = "false",
            ["Scheduling__Recurring__outbox-sweep"] = "-",
        });
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
        var pending = await d.ScalarAsync<long>("SELECT count(*) FROM outbox_messages WHERE published_at IS NULL");
        await d.Api!.KillAsync();
        output.WriteLine($"API killed with {pending} committed, unpublished outbox row(s); the providers saw {d.Fakes.Email.Recipients + d.Fakes.Webhook.Recipients}");
        Assert.Equal(Updates, pending);
        Assert.Equal(0, d.Fakes.Email.Recipients + d.Fakes.Webhook.Recipients);

        var restarted = Clock.Now;
        await d.StartApiAsync();
        var expected = (long)Audience.Total * Updates;
        await Eventually.HoldsAsync(async () =>
                d.Fakes.Email.Recipients + d.Fakes.Webhook.Recipients >= expected
                && await d.ScalarAsync<long>("SELECT count(*) FROM deliveries WHERE status = 'queued'") == 0,
            $"all {Updates} updates reached all {Audience.Total} subscribers", TimeSpan.FromSeconds(FaultSize.Pick(60, 120)));
        var took = Clock.SecondsBetween(restarted, Clock.Now);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var tally = await Tally.TakeAsync(d, Audience, times: Updates);
        output.WriteLine(tally.ToString());
        output.WriteLine($"{Updates}/{Updates} updates delivered {took:0.0} s after the API was started again");

        Assert.True(tally.Missing == 0 && tally.Extra == 0 && tally.Queued == 0, tally.ToString());
        Assert.Equal(0, await d.ScalarAsync<long>("SELECT count(*) FROM outbox_messages WHERE published_at IS NULL"));
        Assert.Equal(Updates, await d.ScalarAsync<long>("SELECT count(DISTINCT update_id) FROM deliveries"));
    }
}
