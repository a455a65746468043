using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using CommsHub.FaultTests.Harness;
using FanOutBench.Driver;
using Xunit.Abstractions;

namespace CommsHub.FaultTests;

/// <summary>
/// PostgreSQL crashed (<c>pg_ctl stop -m immediate</c>) for 30 s under the production topology.
/// Writes are refused with 503 (never a 2xx without a stored row), nothing reaches the bus without
/// a row, the public status page keeps serving its last snapshot, and after the database's return
/// everything works again within a minute, with no restart.
/// </summary>
[Collection(FaultPairCollection.Name)]
public sealed class PostgresCrashTests(FaultPair pair, ITestOutputHelper output)
{
    private static readonly Audience Audience = FaultSize.Pick(new Audience(Email: 200, Sms: 0, Webhook: 20), new Audience(Email: 2_000, Sms: 0, Webhook: 200));

    [Fact]
    public async Task With_postgres_down_30_s_writes_get_503_the_status_page_serves_its_snapshot_and_all_recovers_within_a_minute()
    {
        await pair.EnsureUpAsync();
        await using var d = await Deployment.CreateAsync(pair, "pgcrash");
        await d.StartApiAsync();
        await d.StartWorkerAsync(Audience);
        await d.Driver.ImportAsync(Audience);
        var before = await d.Driver.PublishAsync(Audience, "Playback failing before the database crash");
        await d.Driver.WaitAsync(before, Audience, TimeSpan.FromSeconds(30));
        using var anonymous = new HttpClient { BaseAddress = d.Admin.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        await Eventually.HoldsAsync(async () => (await anonymous.GetStringAsync("/")).Contains("Playback failing before the database crash", StringComparison.Ordinal),
            "the status page shows the incident");

        var answers = new List<(int Status, double Ms)>();
        var pageOk = 0;
        var pageChecks = 0;
        var readyDown = 0;
        try
        {
            await pair.PostgresCrashAsync();
            var down = Stopwatch.StartNew();
            var i = 0;
            while (down.Elapsed < TimeSpan.FromSeconds(30))
            {
                i++;
                var started = Stopwatch.StartNew();
                using (var response = await d.Admin.PostAsJsonAsync("/api/incidents", new { title = $"During the outage {i}", message = "Written while the database is down.", impact = "minor" }))
                {
                    answers.Add(((int)response.StatusCode, started.Elapsed.TotalMilliseconds));
                    if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                    {
                        Assert.True(response.Headers.RetryAfter is not null, "503 without Retry-After");
                        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                    }
                }
                pageChecks++;
                using (var page = await anonymous.GetAsync("/"))
                {
                    if (page.StatusCode == HttpStatusCode.OK && (await page.Content.ReadAsStringAsync()).Contains("Playback failing before the database crash", StringComparison.Ordinal))
                    {
                        pageOk++;
                    }
                }
                using (var ready = await anonymous.GetAsync("/health/ready"))
                {
                    readyDown += ready.StatusCode == HttpStatusCode.ServiceUnavailable ? 1 : 0;
                }
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
        finally
        {
            await pair.PostgresStartAsync();
        }
        var back = Stopwatch.StartNew();
        output.WriteLine($"during the outage: {answers.Count} writes answered {string.Join(", ", answers.GroupBy(a => a.Status).Select(g => $"{g.Count()}× {g.Key}"))}; " +
                         $"slowest {answers.Max(a => a.Ms):0} ms, median {answers.Select(a => a.Ms).Order().ElementAt(answers.Count / 2):0} ms; " +
                         $"status page served the snapshot {pageOk}/{pageChecks}; /health/ready 503 {readyDown}/{pageChecks}");

        // Recovery: the first write that is stored, and an update published after it reaching everyone.
        HttpStatusCode status;
        do
        {
            using var response = await d.Admin.PostAsJsonAsync("/api/incidents", new { title = "Probe after the outage", message = "Back.", impact = "none", notify = false });
            status = response.StatusCode;
            if (status != HttpStatusCode.Created)
            {
                await Task.Delay(250);
            }
        }
        while (status != HttpStatusCode.Created && back.Elapsed < TimeSpan.FromSeconds(60));
        var firstWrite = back.Elapsed;
        var after = await d.Driver.PublishAsync(Audience, "Playback restored after the database crash");
        await d.Driver.WaitAsync(after, Audience, TimeSpan.FromSeconds(60) - back.Elapsed);
        var recovered = back.Elapsed;
        output.WriteLine($"database back: first stored write after {firstWrite.TotalSeconds:0.0} s; an update published then reached all {Audience.Total} after {recovered.TotalSeconds:0.0} s");

        var stored = await d.ScalarAsync<long>("SELECT count(*) FROM incidents WHERE title LIKE 'During the outage %'");
        var accepted = answers.Count(a => a.Status is >= 200 and < 300);
        Assert.Equal(accepted, stored);                                     // never a 2xx without its row
        Assert.All(answers, a => Assert.True(a.Status is 503 or (>= 200 and < 300), $"answered {a.Status}"));
        Assert.True(answers.Count(a => a.Status == 503) >= answers.Count - 1, "writes were not refused while the database was down");
        Assert.Equal(pageChecks, pageOk);                                   // the last snapshot, every time
        Assert.True(readyDown >= pageChecks - 1, $"/health/ready answered 503 only {readyDown}/{pageChecks} times");
        // Nothing reached the bus without a row: every delivery belongs to a stored update, and only the two updates fanned out.
        Assert.Equal(2, await d.ScalarAsync<long>("SELECT count(DISTINCT update_id) FROM deliveries"));
        Assert.Equal(0, await d.ScalarAsync<long>("SELECT count(*) FROM deliveries d WHERE NOT EXISTS (SELECT 1 FROM incident_updates u WHERE u.id = d.update_id)"));
        Assert.InRange(recovered.TotalSeconds, 0, 60);
    }
}
