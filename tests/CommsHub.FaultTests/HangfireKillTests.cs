using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CommsHub.FaultTests.Harness;
using Npgsql;
using Xunit.Abstractions;

namespace CommsHub.FaultTests;

/// <summary>
/// 1,000 scheduled updates pending, due over half a minute, and the worker (the Hangfire server)
/// SIGKILLed while they fire, kept down, then started again: each fires once, within 15 s of its time.
/// </summary>
[Collection(FaultPairCollection.Name)]
public sealed class HangfireKillTests(FaultPair pair, ITestOutputHelper output)
{
    private static readonly int Jobs = FaultSize.Pick(1_000, 5_000);

    [Fact]
    public async Task A_worker_killed_with_1000_scheduled_jobs_pending_fires_every_one_once_within_15_s_of_its_time()
    {
        await pair.EnsureUpAsync();
        await using var d = await Deployment.CreateAsync(pair, "hangfire");
        await d.StartApiAsync();
        d.StartWorkerProcess();

        using var created = await d.Admin.PostAsJsonAsync("/api/incidents", new
        {
            title = "Playback failing for some viewers",
            message = "We are investigating.",
            impact = "major",
            notify = false,
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var incidentId = (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();

        // Due times spread evenly over the window, which opens once all are scheduled.
        var firstDue = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(FaultSize.Pick(16, 40));
        var spread = TimeSpan.FromSeconds(FaultSize.Pick(24, 120));
        var scheduling = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, Jobs), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var at = firstDue + (spread * i / Jobs);
            using var response = await d.Admin.PostAsJsonAsync($"/api/incidents/{incidentId}/updates", new
            {
                message = $"Scheduled update {i}",
                notify = false,
                publishAt = at,
            }, ct);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        });
        output.WriteLine($"{Jobs} updates scheduled in {scheduling.Elapsed.TotalSeconds:0.0} s; first due {(firstDue - DateTimeOffset.UtcNow).TotalSeconds:0.0} s from now");
        Assert.True(DateTimeOffset.UtcNow < firstDue, "scheduling took longer than the lead time");

        // Kill the Hangfire server a third of the way through the window, keep it down 8 s.
        var killAt = firstDue + (spread / 3);
        await Task.Delay(killAt - DateTimeOffset.UtcNow);
        var firedBefore = await FiredAsync(d);
        await d.Worker!.KillAsync();
        output.WriteLine($"worker killed with {Jobs - firedBefore} of {Jobs} still pending");
        await Task.Delay(TimeSpan.FromSeconds(8));
        d.StartWorkerProcess();
        output.WriteLine("worker started again");

        var lastDue = firstDue + spread;
        var deadline = lastDue + TimeSpan.FromSeconds(30);
        while (await FiredAsync(d) < Jobs && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(500);
        }
        await Task.Delay(TimeSpan.FromSeconds(3)); // a second firing would show meanwhile

        await using var db = new NpgsqlConnection(d.ConnectionString);
        await db.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            SELECT count(*) FILTER (WHERE a.fired_at IS NOT NULL),
                   coalesce(min(extract(epoch FROM a.fired_at - a.due_at)), 0),
                   coalesce(max(extract(epoch FROM a.fired_at - a.due_at)), 0),
                   count(*) FILTER (WHERE abs(extract(epoch FROM a.fired_at - a.due_at)) > 15),
                   (SELECT count(*) FROM incident_updates WHERE message LIKE 'Scheduled update %'),
                   (SELECT count(DISTINCT message) FROM incident_updates WHERE message LIKE 'Scheduled update %'),
                   (SELECT count(*) FROM scheduled_updates WHERE state = 'published')
            FROM scheduled_actions a WHERE a.kind = 'publish_update'
            """, db);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        long fired = reader.GetInt64(0), outside = reader.GetInt64(3), updates = reader.GetInt64(4), distinct = reader.GetInt64(5), published = reader.GetInt64(6);
        double earliest = Convert.ToDouble(reader.GetValue(1)), latest = Convert.ToDouble(reader.GetValue(2));
        output.WriteLine($"fired {fired}/{Jobs}; fired minus due: min {earliest:0.00} s, max {latest:0.00} s; {outside} outside ±15 s; " +
                         $"{updates} updates published ({distinct} distinct), {published} scheduled updates published");

        Assert.True(fired == Jobs, $"{Jobs - fired} never fired\n{d.Logs()}");
        Assert.Equal(0, outside);
        Assert.Equal(Jobs, updates);   // none twice
        Assert.Equal(Jobs, distinct);
        Assert.Equal(Jobs, published);
    }

    private static async Task<long> FiredAsync(Deployment d) =>
        await d.ScalarAsync<long>("SELECT count(*) FROM scheduled_actions WHERE kind = 'publish_update' AND fired_at IS NOT NULL");
}
