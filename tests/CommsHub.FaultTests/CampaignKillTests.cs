using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.FaultTests.Harness;
using FanOutBench.Driver;
using Npgsql;
using Xunit.Abstractions;

namespace CommsHub.FaultTests;

/// <summary>
/// A compensation campaign by email and SMS with the worker SIGKILLed: once while its planner is handing out codes,
/// and several times while it sends. Codes are a database fact, so whatever is planned twice, each member holds one
/// code, no code is held by two members, and every message a member receives — on either medium, a repeat included —
/// carries that member's code. Nothing is lost; a repeat is only a send in flight at a kill, bounded as in
/// <see cref="WorkerKillTests"/>.
/// </summary>
[Collection(FaultPairCollection.Name)]
public sealed class CampaignKillTests(FaultPair pair, ITestOutputHelper output)
{
    private const string Message = "Your free week: {{ code }}";

    private static Dictionary<string, string> Settings(string smsPerSecond) => new()
    {
        ["Channels__Sms__MessagesPerSecond"] = smsPerSecond,
        // A killed worker's claim lapses after this; then the retry sweep sends what it held.
        ["Deliveries__LeaseDuration"] = "00:00:10",
        // An email batch in doubt is looked up in Email Activity, not re-sent blind.
        ["Channels__Email__SendGrid__ActivityApi"] = "true",
    };

    [Fact]
    public async Task A_worker_killed_while_codes_are_assigned_gives_every_member_one_code_of_their_own_on_email_and_sms()
    {
        var audience = FaultSize.Pick(new Audience(Email: 20_000, Sms: 1_000, Webhook: 0), new Audience(Email: 100_000, Sms: 10_000, Webhook: 0));
        await pair.EnsureUpAsync();
        await using var d = await Deployment.CreateAsync(pair, "campaigncodes", Settings("400"));
        d.Fakes.KeepBodies = true;
        d.Fakes.EmailLatency = TimeSpan.FromMilliseconds(200);
        await d.StartApiAsync();
        await StartWorkerAsync(d, audience);
        var campaign = await CreateAsync(d, audience);

        await d.Admin.PostAsJsonAsync($"/api/campaigns/{campaign}/send", new { });
        var start = Clock.Now;
        // The state to kill in: the planner has given out some of the codes, not all.
        long assigned;
        while ((assigned = await d.ScalarAsync<long>($"SELECT count(*) FROM campaign_codes WHERE campaign_id = '{campaign}'")) == 0)
        {
            Assert.True(Clock.SecondsBetween(start, Clock.Now) < 120, "the planner never assigned a code\n" + d.Logs());
            await Task.Delay(10);
        }
        await d.Worker!.KillAsync();
        var atKill = await d.ScalarAsync<long>($"SELECT count(*) FROM campaign_codes WHERE campaign_id = '{campaign}'");
        output.WriteLine($"{Clock.SecondsBetween(start, Clock.Now):0.00} s: worker killed with {atKill:N0} of {audience.Email:N0} codes assigned " +
                         $"(first seen {assigned:N0}); {BrokerFaultTests.Progress(d, audience)}");
        Assert.True(atKill < audience.Email, "the kill came after the last code was assigned: it proved nothing");
        await StartWorkerAsync(d, audience);

        await DrainAsync(d, campaign, audience, TimeSpan.FromSeconds(FaultSize.Pick(120, 300)));
        await CheckAsync(d, campaign, audience, kills: 1);
    }

    [Fact]
    public async Task Three_worker_kills_while_a_campaign_sends_miss_nobody_and_keep_every_code_unique()
    {
        var audience = FaultSize.Pick(new Audience(Email: 10_000, Sms: 3_000, Webhook: 0), new Audience(Email: 100_000, Sms: 30_000, Webhook: 0));
        await pair.EnsureUpAsync();
        // SMS at 100/s stretch the send over the kills and the restarts between them (5–20 s each on a loaded machine).
        await using var d = await Deployment.CreateAsync(pair, "campaignsend", Settings(FaultSize.Pick("100", "400")));
        d.Fakes.KeepBodies = true;
        d.Fakes.EmailLatency = TimeSpan.FromMilliseconds(1500);
        d.Fakes.SmsLatency = TimeSpan.FromMilliseconds(50);
        await d.StartApiAsync();
        await StartWorkerAsync(d, audience);
        var campaign = await CreateAsync(d, audience);

        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"kill schedule seed {seed}");
        await d.Admin.PostAsJsonAsync($"/api/campaigns/{campaign}/send", new { });
        var start = Clock.Now;
        const int Kills = 3;
        for (var k = 1; k <= Kills; k++)
        {
            // The state to kill in: this worker is sending (the fakes received more since it started), and some is left.
            var reached = d.Fakes.Email.Recipients + d.Fakes.Sms.Recipients;
            var more = 50 + random.Next(200);
            while (d.Fakes.Email.Recipients + d.Fakes.Sms.Recipients < reached + more)
            {
                Assert.True(Clock.SecondsBetween(start, Clock.Now) < 300, $"no progress before kill {k}: {BrokerFaultTests.Progress(d, audience)}\n{d.Logs()}");
                await Task.Delay(10);
            }
            var sending = audience.Channels.Where(c => d.Fakes.For(c).Missing() > 0).ToList();
            await d.Worker!.KillAsync();
            output.WriteLine($"{Clock.SecondsBetween(start, Clock.Now):0.00} s: worker killed ({k}); {BrokerFaultTests.Progress(d, audience)}; still sending: {string.Join(", ", sending)}");
            Assert.True(sending.Count > 0, $"kill {k} came after the campaign had been sent: it proved nothing");
            await StartWorkerAsync(d, audience);
        }

        await DrainAsync(d, campaign, audience, TimeSpan.FromSeconds(FaultSize.Pick(180, 400)));
        await CheckAsync(d, campaign, audience, Kills);
    }

    [Fact]
    public async Task A_campaign_sent_before_any_worker_bound_its_planner_queue_is_planned_by_the_redrive()
    {
        var audience = new Audience(Email: 200, Sms: 20, Webhook: 0);
        await pair.EnsureUpAsync();
        await using var d = await Deployment.CreateAsync(pair, "campaignlost", Settings("400"));
        d.Fakes.KeepBodies = true;
        await d.StartApiAsync();
        var campaign = await CreateAsync(d, audience);
        // A new virtual host with no worker yet: the broker confirms the send request and drops it, no queue being bound.
        await d.Admin.PostAsJsonAsync($"/api/campaigns/{campaign}/send", new { });
        await Eventually.HoldsAsync(async () => await d.ScalarAsync<long>(
                "SELECT count(*) FROM outbox_messages WHERE message_type LIKE '%CampaignSendRequested' AND published_at IS NOT NULL") == 1,
            "the send request is published", TimeSpan.FromSeconds(60));
        var start = Clock.Now;
        await StartWorkerAsync(d, audience);
        output.WriteLine($"worker consuming {Clock.SecondsBetween(start, Clock.Now):0.0} s after its start");

        await DrainAsync(d, campaign, audience, TimeSpan.FromSeconds(90));
        output.WriteLine($"sent {Clock.SecondsBetween(start, Clock.Now):0.0} s after the worker started");
        await CheckAsync(d, campaign, audience, kills: 0);
    }

    /// <summary>Members 0…n-1 by their fan-out addresses (the fakes count them back), the first <c>Sms</c> with a phone too; a pool with 50 spare codes.</summary>
    private static async Task<Guid> CreateAsync(Deployment d, Audience audience)
    {
        var csv = new StringBuilder("externalId,email,phone,name\n");
        for (var i = 0; i < audience.Email; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"m{i},{Addresses.Email(i)},{(i < audience.Sms ? Addresses.Phone(i) : "")},Member {i}\n");
        }
        var list = await PostCsvAsync(d, "/api/audiences", csv.ToString());
        Assert.Equal(audience.Email, list["count"]!.GetValue<int>());
        var codes = new StringBuilder("code\n");
        for (var i = 0; i < audience.Email + 50; i++)
        {
            codes.Append(CultureInfo.InvariantCulture, $"WEEK-{i:D7}\n");
        }
        var pool = await PostCsvAsync(d, "/api/code-pools", codes.ToString());
        using var created = await d.Admin.PostAsJsonAsync("/api/campaigns", new
        {
            kind = "compensation", title = "Sorry, {{ name }}", message = Message, channels = new[] { "email", "sms" },
            audience = new { listId = list["id"]!.GetValue<string>() }, codePoolId = pool["id"]!.GetValue<string>(),
        });
        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.IsSuccessStatusCode, body);
        d.Fakes.Reset(audience);
        return Guid.Parse(JsonNode.Parse(body)!["id"]!.GetValue<string>());
    }

    private static async Task<JsonNode> PostCsvAsync(Deployment d, string path, string csv)
    {
        using var response = await d.Admin.PostAsync(path, new StringContent(csv, Encoding.UTF8, "text/csv"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>The worker, once the campaign planner and both senders consume.</summary>
    private async Task StartWorkerAsync(Deployment d, Audience audience)
    {
        await d.StartWorkerAsync(audience);
        await Eventually.HoldsAsync(async () => (await pair.Infra.QueuesAsync(d.VirtualHost)).TryGetValue("campaign-planner", out var q) && q.Consumers > 0,
            "the campaign planner consumes", TimeSpan.FromSeconds(60));
    }

    /// <summary>Until every member was reached on each medium, nothing is queued and the campaign is sent.</summary>
    private async Task DrainAsync(Deployment d, Guid campaign, Audience audience, TimeSpan deadline)
    {
        var from = Clock.Now;
        await Eventually.HoldsAsync(async () => d.Fakes.Email.Missing() == 0 && d.Fakes.Sms.Missing() == 0
                && await d.ScalarAsync<long>($"SELECT count(*) FROM deliveries WHERE update_id = '{campaign}' AND status = 'queued'") == 0
                && await d.ScalarAsync<string>($"SELECT status FROM campaigns WHERE id = '{campaign}'") == "sent",
            $"the campaign reaches everybody ({BrokerFaultTests.Progress(d, audience)})\n{d.Logs()}", deadline);
        output.WriteLine($"settled {Clock.SecondsBetween(from, Clock.Now):0.0} s after the last worker was consuming");
        // Nothing queued and nothing held by a sender: no request can start any more, so a repeat has arrived or never will.
        await Eventually.HoldsAsync(async () => await d.ScalarAsync<long>($"SELECT count(*) FROM deliveries WHERE update_id = '{campaign}' AND lease_token IS NOT NULL") == 0,
            "no sender holds a delivery", TimeSpan.FromSeconds(60));
    }

    private async Task CheckAsync(Deployment d, Guid campaign, Audience audience, int kills)
    {
        var tally = await Tally.TakeAsync(d, audience);
        output.WriteLine(tally.ToString());

        // The database: one code per member, one member per code, and no code taken from the pool without its member.
        var held = new Dictionary<int, string>();
        await using (var db = new NpgsqlConnection(d.ConnectionString))
        {
            await db.OpenAsync();
            await using var cmd = new NpgsqlCommand($"""
                SELECT m.external_id, p.code FROM campaign_codes c JOIN pool_codes p ON p.id = c.code_id JOIN audience_members m ON m.id = c.member_id
                WHERE c.campaign_id = '{campaign}'
                """, db);
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                Assert.True(held.TryAdd(int.Parse(reader.GetString(0)[1..], CultureInfo.InvariantCulture), reader.GetString(1)), "a member holds two codes");
            }
        }
        var taken = await d.ScalarAsync<long>("SELECT sum(taken) FROM code_pools");
        output.WriteLine($"codes: {held.Count:N0} assigned to {audience.Email:N0} members, {held.Values.Distinct().Count():N0} distinct, {taken:N0} taken from the pool");
        Assert.Equal(audience.Email, held.Count);
        Assert.Equal(held.Count, held.Values.Distinct().Count());
        Assert.Equal(held.Count, taken);

        // What the members received: every arrival, repeats included, carries the member's own code, the same on both media.
        var wrong = new List<string>();
        var bodies = d.Fakes.Bodies.ToList();
        foreach (var (channel, index, body) in bodies)
        {
            var code = body[(body.LastIndexOf(' ') + 1)..];
            if (!held.TryGetValue(index, out var own) || code != own || body != $"Your free week: {own}")
            {
                wrong.Add($"{channel} to member {index}: '{body}', the member holds {own ?? "no code"}");
            }
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} messages with a code not the member's own:\n" + string.Join('\n', wrong.Take(20)));
        Assert.Equal(tally.Channels.Sum(c => c.Reached), bodies.Count);

        foreach (var channel in tally.Channels)
        {
            output.WriteLine($"{channel.Channel}: {channel.Extra} repeat(s) ({100.0 * channel.Extra / channel.Expected:0.000} % of the channel)");
        }
        output.WriteLine($"look-ups answered: Twilio {d.Fakes.SmsLookups}, SendGrid Email Activity {d.Fakes.EmailLookups}");
        Assert.True(tally.Missing == 0 && tally.Queued == 0 && tally.Failed == 0, tally + d.Logs());
        // Per kill at most what one worker can have in flight: 16 email requests of a page (1,000) and 4 SMS batches' last quarter second.
        Assert.InRange(tally.Extra, 0, kills * ((16 * 1000) + (4 * 100)));
        var sms = tally.Channels.Single(c => c.Channel == "sms");
        Assert.True(sms.Extra <= Math.Max(1, sms.Expected / 1000), $"{sms.Extra} SMS repeats of {sms.Expected}: more than 0.1 %");
    }
}
