using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FanOutBench.Fakes;
using Npgsql;

namespace FanOutBench.Driver;

/// <param name="FakeRecipients">Email recipients the SendGrid fake counted: total, unique, repeated, unknown.</param>
/// <param name="FakeCodes">Codes found in those emails: total, unique, repeated, not of the bench's scheme.</param>
/// <param name="WrongCode">Recipients whose email carried another code than the one the database assigned them (or none).</param>
public sealed record CampaignCheck(int Expected, CounterSnapshot FakeRecipients, CounterSnapshot FakeCodes,
    long Assigned, long AssignedMembers, long AssignedCodes, long Deliveries, long DistinctMembers, long Sent, long Queued, int MaxAttempts,
    long WrongCode, IReadOnlyList<string> Problems)
{
    public bool ExactlyOnce => Problems.Count == 0;
}

/// <summary>One campaign sent: when the send call started (both clocks) and how long its 202 took.</summary>
public sealed record CampaignSend(Guid CampaignId, long StartTicks, DateTimeOffset StartWall, double ApiMs);

/// <summary>
/// The compensation campaign through the admin API, as an operator would run it: the customer list and the codes
/// uploaded as CSV (streamed), the campaign created and sent; then the wait until every customer's email reached
/// the SendGrid fake and nothing is queued, and the exactly-once checks at the fake and in the database.
/// </summary>
public sealed class CampaignDriver(HttpClient api, string database, ProviderFakes fakes, Action<string>? log = null)
{
    public const string Title = "A free week of Pro, with our apologies";
    public const string Message = "Hello {{ name }},\n\nLast week's outage kept you from your videos. Your code for a free week: {{ code }}\n\nRedeem it in Billing.";

    public async Task<(Guid Id, double Seconds, long Bytes)> ImportAudienceAsync(int count, CancellationToken ct = default)
    {
        using var content = new LinesContent("externalId,email,phone,name,locale", count,
            i => $"{Codes.ExternalId(i)},{Addresses.Email(i)},,Customer {i},en");
        var (json, seconds) = await PostAsync("/api/audiences", content, ct);
        var imported = json["count"]!.GetValue<int>();
        var rejected = json["rejectedCount"]?.GetValue<int>() ?? json["rejected"]!.AsArray().Count;
        if (imported != count || rejected != 0)
        {
            throw new InvalidOperationException($"audience import: {imported:N0} of {count:N0} imported, {rejected:N0} rejected: {Cut(json.ToJsonString())}");
        }
        log?.Invoke($"  audience of {count:N0} imported in {seconds:0.00} s ({content.Bytes / 1e6:0.0} MB)");
        return (Guid.Parse(json["id"]!.GetValue<string>()), seconds, content.Bytes);
    }

    public async Task<(Guid Id, double Seconds, long Bytes)> ImportCodesAsync(int count, CancellationToken ct = default)
    {
        using var content = new LinesContent("code", count, Codes.Code);
        var (json, seconds) = await PostAsync("/api/code-pools", content, ct);
        if (json["count"]!.GetValue<int>() != count)
        {
            throw new InvalidOperationException($"code pool import: {Cut(json.ToJsonString())}");
        }
        log?.Invoke($"  {count:N0} codes imported in {seconds:0.00} s ({content.Bytes / 1e6:0.0} MB)");
        return (Guid.Parse(json["id"]!.GetValue<string>()), seconds, content.Bytes);
    }

    private async Task<(JsonNode Json, double Seconds)> PostAsync(string path, HttpContent content, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await api.PostAsync(path, content, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST {path} answered {(int)response.StatusCode}: {Cut(text)}");
        }
        return (JsonNode.Parse(text)!, seconds);
    }

    public async Task<(Guid Id, double Ms)> CreateAsync(Guid audienceId, Guid poolId, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await api.PostAsJsonAsync("/api/campaigns", new
        {
            kind = "compensation", title = Title, message = Message, channels = new[] { "email" },
            audience = new { listId = audienceId }, codePoolId = poolId,
        }, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /api/campaigns answered {(int)response.StatusCode}: {Cut(text)}");
        }
        return (Guid.Parse(JsonNode.Parse(text)!["id"]!.GetValue<string>()), Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Resets the fakes, then <c>POST /api/campaigns/{id}/send</c>; the clock starts just before the request.</summary>
    public async Task<CampaignSend> SendAsync(Guid campaignId, int count, CancellationToken ct = default)
    {
        fakes.Reset(new Audience(count, 0, 0));
        fakes.ResetCodes(count, count);
        var startWall = DateTimeOffset.UtcNow;
        var start = Stopwatch.GetTimestamp();
        using var response = await api.PostAsync($"/api/campaigns/{campaignId}/send", null, ct);
        var apiMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"send answered {(int)response.StatusCode}: {Cut(await response.Content.ReadAsStringAsync(ct))}");
        }
        return new CampaignSend(campaignId, start, startWall, apiMs);
    }

    /// <summary>Waits until the fake saw every recipient and no delivery of the campaign is queued; returns (fakes done, settled) ticks.</summary>
    public async Task<(long FakesDone, long Settled)> WaitAsync(CampaignSend send, int count, TimeSpan deadline, CancellationToken ct = default)
    {
        var until = Stopwatch.GetTimestamp() + (long)(deadline.TotalSeconds * Stopwatch.Frequency);
        long fakesDone = 0, nextDbCheck = 0, shortSince = 0;
        await using var db = new NpgsqlConnection(database);
        await db.OpenAsync(ct);
        while (true)
        {
            var now = Stopwatch.GetTimestamp();
            if (fakesDone == 0 && fakes.Email.Recipients >= count)
            {
                fakesDone = now;
            }
            if (fakesDone != 0 || now >= nextDbCheck)
            {
                // Before the fake is done, only to stop early on a send that settled short: every 10 seconds, since the
                // count reads every delivery (at a million, a look a second took a third of a core from PostgreSQL).
                var (total, queued) = await CountAsync(db, send.CampaignId, ct);
                nextDbCheck = now + 10 * Stopwatch.Frequency;
                if (total >= count && queued == 0)
                {
                    if (fakesDone != 0)
                    {
                        return (fakesDone, Stopwatch.GetTimestamp());
                    }
                    shortSince = shortSince == 0 ? now : shortSince;
                    if (now - shortSince > 3 * Stopwatch.Frequency)
                    {
                        throw new InvalidOperationException($"campaign {send.CampaignId}: every delivery settled but the fake saw {fakes.Email.Recipients:N0}/{count:N0}");
                    }
                }
            }
            if (now > until)
            {
                var (total, queued) = await CountAsync(db, send.CampaignId, ct);
                throw new TimeoutException($"campaign {send.CampaignId}: after {deadline.TotalSeconds:0} s the fake saw {fakes.Email.Recipients:N0}/{count:N0}; " +
                                           $"deliveries {total:N0} planned, {queued:N0} still queued");
            }
            await Task.Delay(fakesDone == 0 ? 5 : 50, ct);
        }
    }

    private static async Task<(long Total, long Queued)> CountAsync(NpgsqlConnection db, Guid campaignId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT count(*), count(*) FILTER (WHERE status = 'queued') FROM deliveries WHERE update_id = @u", db);
        cmd.Parameters.AddWithValue("u", campaignId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>(codes assigned first, last; the planner's end: the campaign's <c>sent_at</c>) in seconds after the send call.</summary>
    public async Task<(double? FirstAssigned, double? LastAssigned, double? Planned)> TimelineAsync(CampaignSend send, CancellationToken ct = default)
    {
        await using var db = new NpgsqlConnection(database);
        await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("""
            SELECT (SELECT min(assigned_at) FROM campaign_codes WHERE campaign_id = @c), (SELECT max(assigned_at) FROM campaign_codes WHERE campaign_id = @c),
                   (SELECT sent_at FROM campaigns WHERE id = @c)
            """, db);
        cmd.Parameters.AddWithValue("c", send.CampaignId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        double? S(int i) => reader.IsDBNull(i) ? null
            : Math.Round((new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(i), DateTimeKind.Utc)) - send.StartWall).TotalSeconds, 3);
        return (S(0), S(1), S(2));
    }

    /// <summary>
    /// After <paramref name="settle"/> (a late duplicate would arrive meanwhile): every customer's email once at the
    /// fake, every code once, each customer's email carrying the code the database assigned to that customer; in the
    /// database one code per member and one member per code, one delivery per member, all sent at the first attempt.
    /// </summary>
    public async Task<CampaignCheck> VerifyAsync(CampaignSend send, int count, TimeSpan settle, CancellationToken ct = default)
    {
        if (settle > TimeSpan.Zero)
        {
            await Task.Delay(settle, ct);
        }
        await using var db = new NpgsqlConnection(database);
        await db.OpenAsync(ct);
        long[] Row(NpgsqlDataReader r) => Enumerable.Range(0, r.FieldCount).Select(i => Convert.ToInt64(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        long[] codes, deliveries;
        await using (var cmd = new NpgsqlCommand("SELECT count(*), count(DISTINCT member_id), count(DISTINCT code_id) FROM campaign_codes WHERE campaign_id = @c", db))
        {
            cmd.Parameters.AddWithValue("c", send.CampaignId);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            codes = Row(r);
        }
        await using (var cmd = new NpgsqlCommand("""
            SELECT count(*), count(DISTINCT subscriber_id), count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'queued'),
                   coalesce(max(attempts), 0)
            FROM deliveries WHERE update_id = @c
            """, db))
        {
            cmd.Parameters.AddWithValue("c", send.CampaignId);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            deliveries = Row(r);
        }
        // Each customer's email against the code the database says is theirs, streamed.
        var map = fakes.CodeOf;
        long wrong = 0, seen = 0;
        await using (var cmd = new NpgsqlCommand("""
            SELECT m.external_id, p.code FROM campaign_codes c JOIN audience_members m ON m.id = c.member_id JOIN pool_codes p ON p.id = c.code_id
            WHERE c.campaign_id = @c
            """, db) { CommandTimeout = 300 })
        {
            cmd.Parameters.AddWithValue("c", send.CampaignId);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                seen++;
                var member = Codes.ParseExternalId(r.GetString(0));
                var code = Codes.Parse(r.GetString(1));
                if (member < 0 || member >= map.Length || map[member] != code + 1)
                {
                    wrong++;
                }
            }
        }
        wrong += Math.Max(0, count - seen);

        var recipients = fakes.Email.Snapshot();
        var fakeCodes = fakes.Codes.Snapshot();
        var check = new CampaignCheck(count, recipients, fakeCodes, codes[0], codes[1], codes[2], deliveries[0], deliveries[1], deliveries[2], deliveries[3],
            (int)deliveries[4], wrong, []);
        var problems = new List<string>();
        if (recipients.Recipients != count || recipients.Unique != count || recipients.Duplicates != 0 || recipients.Foreign != 0 || recipients.Rejected != 0)
        {
            problems.Add($"SendGrid fake: {recipients.Recipients:N0} recipients ({recipients.Unique:N0} unique, {recipients.Duplicates:N0} repeated, " +
                         $"{recipients.Foreign:N0} unknown, {recipients.Rejected:N0} rejected requests) for {count:N0} customers");
        }
        if (fakeCodes.Recipients != count || fakeCodes.Unique != count || fakeCodes.Duplicates != 0 || fakeCodes.Foreign != 0)
        {
            problems.Add($"codes in the emails: {fakeCodes.Recipients:N0} ({fakeCodes.Unique:N0} unique, {fakeCodes.Duplicates:N0} repeated, {fakeCodes.Foreign:N0} unknown)");
        }
        if (codes[0] != count || codes[1] != count || codes[2] != count)
        {
            problems.Add($"campaign_codes: {codes[0]:N0} rows, {codes[1]:N0} members, {codes[2]:N0} codes for {count:N0} customers");
        }
        if (deliveries[0] != count || deliveries[1] != count || deliveries[2] != count || deliveries[3] != 0 || deliveries[4] != 1)
        {
            problems.Add($"deliveries: {deliveries[0]:N0} for {deliveries[1]:N0} members, {deliveries[2]:N0} sent, {deliveries[3]:N0} queued, max attempts {deliveries[4]}");
        }
        if (wrong != 0)
        {
            problems.Add($"{wrong:N0} customers' emails did not carry the code the database assigned them");
        }
        return check with { Problems = problems };
    }

    private static string Cut(string text) => text.Length <= 500 ? text : text[..500] + "…";
}
