using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CommsHub.FaultTests.Harness;
using FanOutBench.Driver;
using FanOutBench.Host;
using Xunit.Abstractions;

namespace CommsHub.FaultTests;

/// <summary>
/// CommsHub on a PostgreSQL primary with a synchronous streaming standby (deploy/local-pg-failover.sh), given
/// both in one multi-host connection string with <c>Target Session Attributes=primary</c>; two API processes and
/// three workers on the fault pair's broker. The primary is SIGKILLed mid-fan-out and the standby promoted while an
/// operator keeps publishing: every process reconnects to the new primary by itself, every publish answered 201
/// exists afterwards and is delivered, and the fan-out completes with nothing lost.
/// </summary>
[Collection(FaultPairCollection.Name)]
public sealed class PostgresFailoverTests(FaultPair pair, ITestOutputHelper output)
{
    /// <summary>The fan-out under way when the primary dies.</summary>
    private static readonly Audience Audience = FaultSize.Pick(new Audience(Email: 8_500, Sms: 1_500, Webhook: 0),
        new Audience(Email: 85_000, Sms: 15_000, Webhook: 0));

    /// <summary>The audience of each update the operator publishes meanwhile (webhooks only, so that one counter counts them all).</summary>
    private static readonly Audience Probes = new(Email: 0, Sms: 0, Webhook: 10);

    private const int Workers = 3;

    [Fact]
    public async Task Killing_the_primary_and_promoting_the_standby_mid_fan_out_loses_no_acknowledged_publish_and_sends_once()
    {
        await pair.EnsureUpAsync();
        await using var pg = await PostgresFailoverPair.StartAsync();
        using var infra = pg.With(pair);
        await using var d = await Deployment.CreateAsync(pair, "pgfailover", new Dictionary<string, string>
        {
            ["Channels__Email__BatchSize"] = "100",
            // A third of the default: an answer that meets the failover must be recorded on the promoted standby
            // before its claim lapses, and each process sees the new primary only after Npgsql's host re-check (10 s).
            ["Deliveries__LeaseDuration"] = "00:00:40",
            ["Channels__Sms__MessagesPerSecond"] = FaultSize.Pick("100", "400"),
            // As in RabbitClusterTests: planning with five processes on two cores may outlast the default 10 s.
            ["Deliveries__Redrive__PlanAfter"] = "00:01:00",
        }, infra);
        d.Fakes.EmailLatency = TimeSpan.FromMilliseconds(FaultSize.Pick(1000, 150));
        d.Fakes.SmsLatency = TimeSpan.FromMilliseconds(20);
        d.Fakes.WebhookLatency = TimeSpan.FromMilliseconds(20);
        Assert.Contains("Target Session Attributes=primary", d.Environment["ConnectionStrings__CommsHub"], StringComparison.OrdinalIgnoreCase);

        var others = new List<HostProcess>();
        using var publishing = new CancellationTokenSource();
        Task? publisher = null;
        try
        {
            await d.StartApiAsync();
            others.Add(await d.StartAnotherApiAsync());
            for (var w = 0; w < Workers; w++)
            {
                others.Add(d.StartWorkerProcess());
            }
            var queues = new[] { "audience-planner", "send-email-batch", "send-sms-batch", "send-webhook-batch" };
            await Eventually.HoldsAsync(async () =>
            {
                try
                {
                    var q = await pair.Infra.QueuesAsync(d.VirtualHost);
                    return queues.All(n => q.TryGetValue(n, out var v) && v.Consumers == Workers);
                }
                catch (HttpRequestException)
                {
                    return false; // the management API restarting with its broker
                }
            }, $"{Workers} consumers on each of {string.Join(", ", queues)}", TimeSpan.FromSeconds(120));

            var everyone = new Audience(Audience.Email, Audience.Sms, Probes.Webhook);
            await d.Driver.ImportAsync(everyone, chunk: 10_000);
            d.Fakes.Reset(everyone);

            // The operator: one webhook-only update after another, through the failover. 201 = acknowledged; a 503
            // or a cut connection is not, but may have committed all the same (in doubt, like any client's).
            var answers = new List<Probe>();
            publisher = Task.Run(async () =>
            {
                for (var i = 1; !publishing.IsCancellationRequested; i++)
                {
                    var at = Clock.Now;
                    string outcome;
                    Guid? update = null;
                    try
                    {
                        using var response = await d.Admin.PostAsJsonAsync("/api/incidents", new
                        {
                            title = $"Probe {i}",
                            message = "Published while the database fails over.",
                            impact = "minor",
                            channels = Probes.Channels,
                        });
                        outcome = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                        if (response.StatusCode == HttpStatusCode.Created)
                        {
                            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                            update = Guid.Parse(body["updates"]![0]!["id"]!.GetValue<string>());
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        outcome = (e as HttpRequestException)?.HttpRequestError.ToString() ?? "timeout";
                    }
                    lock (answers)
                    {
                        answers.Add(new Probe(i, at, Clock.Now, outcome, update));
                    }
                    await Task.Delay(200);
                }
            });
            Probe[] Answers()
            {
                lock (answers)
                {
                    return [.. answers];
                }
            }

            await Eventually.HoldsAsync(() => Task.FromResult(Answers().Count(a => a.Update is not null) >= 3), "3 probes acknowledged before the fan-out");
            var publication = await PublishAsync(d);
            var start = Clock.Now;
            // Mid-fan-out by state: a fifth of the audience reached, the rest still to send.
            await Eventually.HoldsAsync(() => Task.FromResult(Audience.Channels.Sum(c => d.Fakes.For(c).Recipients) >= Audience.Total / 5),
                "a fifth of the audience reached", TimeSpan.FromSeconds(120));
            await pg.KillPrimaryAsync();
            var killed = Clock.Now;
            var progress = BrokerFaultTests.Progress(d, Audience);
            await pg.PromoteAsync();
            var promoted = Clock.Now;
            output.WriteLine($"{Clock.SecondsBetween(start, killed):0.0} s: primary killed; progress {progress}; standby promoted {Clock.SecondsBetween(killed, promoted):0.00} s later");

            // The operator is served again: five more probes acknowledged after the promotion.
            await Eventually.HoldsAsync(() => Task.FromResult(Answers().Count(a => a.Update is not null && a.Started > promoted) >= 5),
                "5 probes acknowledged after the promotion", TimeSpan.FromSeconds(120));
            await publishing.CancelAsync();
            await publisher;
            var probes = Answers();
            var firstBack = probes.Where(a => a.Update is not null && a.Started > killed).Min(a => a.Answered);
            output.WriteLine($"first probe acknowledged {Clock.SecondsBetween(killed, firstBack):0.0} s after the kill ({Clock.SecondsBetween(promoted, firstBack):0.0} s after the promotion)");
            output.WriteLine("probes: " + string.Join(", ", probes.GroupBy(a => a.Outcome).Select(g => $"{g.Count()}× {g.Key}")));

            // Every probe stored in the new primary: the acknowledged ones must all be there; others are in doubt.
            var stored = (await QueryAsync(d, "SELECT u.id::text || ' ' || i.title FROM incident_updates u JOIN incidents i ON i.id = u.incident_id WHERE i.title LIKE 'Probe %'"))
                .Select(r => r.Split(' ', 2)).ToDictionary(r => r[1], r => Guid.Parse(r[0]));
            var acknowledged = probes.Where(a => a.Update is not null).ToList();
            var lost = acknowledged.Where(a => !stored.ContainsKey($"Probe {a.Number}") || stored[$"Probe {a.Number}"] != a.Update).ToList();
            var unacknowledged = probes.Where(a => a.Update is null && stored.ContainsKey($"Probe {a.Number}")).ToList();
            output.WriteLine($"{acknowledged.Count} probes acknowledged, {stored.Count} stored; lost {lost.Count}; stored without a 201: " +
                             string.Join(", ", unacknowledged.Select(a => $"probe {a.Number} ({a.Outcome}, sent {Clock.SecondsBetween(killed, a.Started):0.00} s from the kill)")));
            // The API said what it knew: 201 or 503 (never a 500), or a cut connection.
            Assert.All(probes, a => Assert.True(a.Outcome is "201" or "503" || !char.IsDigit(a.Outcome[0]), $"probe {a.Number} answered {a.Outcome}"));
            Assert.True(lost.Count == 0, "acknowledged but lost: " + string.Join(", ", lost.Select(a => a.Number)));

            // Drained: the fan-out reached everyone, each stored probe reached its subscribers, nothing queued.
            var expectedProbeSends = (long)Probes.Webhook * stored.Count;
            await Eventually.HoldsAsync(async () =>
                    Audience.Channels.All(c => d.Fakes.For(c).Recipients >= Audience.Count(c))
                    && d.Fakes.Webhook.Recipients >= expectedProbeSends
                    && await d.ScalarAsync<long>("SELECT count(*) FROM deliveries WHERE status = 'queued'") == 0,
                "everything delivered", TimeSpan.FromSeconds(FaultSize.Pick(180, 400)));
            var drained = Clock.Now;
            // Nothing queued and nothing held by a sender: no request can start any more, so a repeat has arrived or never will.
            await Eventually.HoldsAsync(async () => await d.ScalarAsync<long>("SELECT count(*) FROM deliveries WHERE lease_token IS NOT NULL") == 0,
                "no sender holds a delivery", TimeSpan.FromSeconds(60));
            var fanOut = await Tally.TakeAsync(d, Audience);
            var probeTally = await Tally.TakeAsync(d, Probes, times: stored.Count);
            output.WriteLine(fanOut.ToString() + probeTally);
            output.WriteLine($"drained {Clock.SecondsBetween(killed, drained):0.0} s after the kill ({Clock.SecondsBetween(start, drained):0.0} s after the publish)");
            // Every probe goes to the same webhooks, so only the fan-out's repeats can be dated one by one; the probes' are counted.
            var repeats = fanOut.Channels.SelectMany(c => c.Repeats.Select(r => (c.Channel, r))).ToList();
            foreach (var (channel, r) in repeats)
            {
                output.WriteLine($"{channel} repeat {r.Index}: first at {Clock.SecondsBetween(killed, r.FirstTicks):0.00} s, again at {Clock.SecondsBetween(killed, r.Ticks):0.00} s from the kill");
            }
            var plannedProbes = await d.ScalarAsync<long>($"SELECT count(DISTINCT update_id) FROM deliveries WHERE update_id <> '{publication}'");

            Assert.True(fanOut.Missing == 0 && fanOut.Queued == 0 && fanOut.Failed == 0, fanOut + d.Logs());
            Assert.All(fanOut.Channels, c => Assert.Equal(c.Expected, c.Sent));
            Assert.True(probeTally.Missing == 0 && probeTally.Queued == 0 && probeTally.Failed == 0, probeTally + d.Logs());
            Assert.Equal(stored.Count, plannedProbes); // every stored probe fanned out, and only those
            Assert.All(probeTally.Channels, c => Assert.Equal(c.Expected, c.Sent));
            // Sent once: an answer that came while no primary would take it was kept by its sender and recorded on
            // the promoted standby (OutcomeRecorder), within the claim's 20 s.
            Assert.True(fanOut.Extra == 0 && probeTally.Extra == 0, "sent twice across the failover:\n" + fanOut + probeTally);
        }
        finally
        {
            await publishing.CancelAsync();
            if (publisher is not null)
            {
                await publisher;
            }
            await Task.WhenAll(others.Select(p => p.StopAsync(TimeSpan.FromSeconds(5))));
        }
    }

    private sealed record Probe(int Number, long Started, long Answered, string Outcome, Guid? Update);

    /// <summary>The fan-out's incident, restricted to its channels; the fakes keep counting from the import.</summary>
    private static async Task<Guid> PublishAsync(Deployment d)
    {
        using var response = await d.Admin.PostAsJsonAsync("/api/incidents", new
        {
            title = "Playback failing (database failover)",
            message = "Video playback is failing for some viewers. We are investigating.",
            impact = "major",
            channels = Audience.Channels,
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return Guid.Parse(body["updates"]![0]!["id"]!.GetValue<string>());
    }

    private static async Task<List<string>> QueryAsync(Deployment d, string sql)
    {
        await using var db = new Npgsql.NpgsqlConnection(d.ConnectionString);
        await db.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand(sql, db);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }
        return rows;
    }
}
