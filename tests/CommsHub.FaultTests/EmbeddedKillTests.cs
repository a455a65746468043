using System.Net;
using System.Net.Http.Json;
using CommsHub.FaultTests.Harness;
using FanOutBench.Driver;
using Xunit.Abstractions;

namespace CommsHub.FaultTests;

/// <summary>
/// The embedded default (the README's run command: one process, SQLite, the in-memory bus) SIGKILLed
/// at a random moment 20 ms to 1 s after each of five publishes, and started again. The in-memory bus
/// forgets whatever was in flight, so this is where an update used to be lost for good (killed before
/// it was planned) or held for five minutes (its send commands gone). Nothing may be lost, and every
/// recipient must be reached soon after the last restart.
/// </summary>
[Collection(FaultPairCollection.Name)]
public sealed class EmbeddedKillTests(FaultPair pair, ITestOutputHelper output)
{
    private static readonly Audience Audience = FaultSize.Pick(new Audience(Email: 500, Sms: 100, Webhook: 50), new Audience(Email: 5_000, Sms: 1_000, Webhook: 500));
    private const int Publishes = 5;

    [Fact]
    public async Task The_embedded_process_killed_just_after_each_of_five_publishes_loses_nothing()
    {
        await pair.EnsureUpAsync();
        await using var d = await Deployment.CreateAsync(pair, "embedded");
        var file = Path.Combine(Path.GetTempPath(), $"commshub-embedded-{Guid.NewGuid():N}.db");
        var embedded = new Dictionary<string, string>
        {
            ["Roles"] = "all",
            ["Database__Provider"] = "Sqlite",
            ["ConnectionStrings__CommsHub"] = $"Data Source={file}",
            ["ConnectionStrings__RabbitMq"] = "",
        };
        try
        {
            await d.StartApiAsync(embedded);
            await d.Driver.ImportAsync(Audience);
            d.Fakes.Reset(Audience);

            var seed = Environment.TickCount;
            var random = new Random(seed);
            output.WriteLine($"kill schedule seed {seed}");
            var start = Clock.Now;
            for (var i = 1; i <= Publishes; i++)
            {
                using (var response = await d.Admin.PostAsJsonAsync("/api/incidents", new
                {
                    title = $"Playback failing ({i})",
                    message = "Some viewers cannot start videos. We are investigating.",
                    impact = "major",
                }))
                {
                    Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                }
                var after = TimeSpan.FromMilliseconds(20 + random.Next(980));
                await Task.Delay(after);
                await d.Api!.KillAsync();
                output.WriteLine($"{Clock.SecondsBetween(start, Clock.Now):0.00} s: killed {after.TotalMilliseconds:0} ms after publish {i}; " +
                                 $"providers saw email {d.Fakes.Email.Recipients:N0}, sms {d.Fakes.Sms.Recipients:N0}, webhook {d.Fakes.Webhook.Recipients:N0} " +
                                 $"of {(long)Audience.Total * i:N0} due so far");
                await d.StartApiAsync(embedded);
            }
            var restarted = Clock.Now;

            await Eventually.HoldsAsync(() => Task.FromResult(Missing(d) == 0),
                $"all {Publishes} updates reached all {Audience.Total} subscribers", TimeSpan.FromSeconds(FaultSize.Pick(90, 180)));
            var took = Clock.SecondsBetween(restarted, Clock.Now);
            var extra = d.Fakes.Email.Extra(Publishes) + d.Fakes.Sms.Extra(Publishes) + d.Fakes.Webhook.Extra(Publishes);
            output.WriteLine($"every recipient reached {took:0.0} s after the last restart; repeats {extra:N0} of {(long)Audience.Total * Publishes:N0} " +
                             "(each a send in flight at a kill)");

            Assert.Equal(0, Missing(d));
            // The promise: everyone has heard of every update within 30 s of the process coming back.
            Assert.True(took <= 30, $"the last recipient was reached {took:0.0} s after the restart\n{d.Logs()}");
        }
        finally
        {
            await (d.Api?.KillAsync() ?? Task.CompletedTask);
            foreach (var f in new[] { file, file + "-wal", file + "-shm" }.Where(File.Exists))
            {
                File.Delete(f);
            }
        }
    }

    private static long Missing(Deployment d) =>
        d.Fakes.Email.Missing(Publishes) + d.Fakes.Sms.Missing(Publishes) + d.Fakes.Webhook.Missing(Publishes);
}
