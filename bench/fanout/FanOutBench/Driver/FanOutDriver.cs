using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FanOutBench.Fakes;
using Npgsql;

namespace FanOutBench.Driver;

/// <summary>One published incident: its update, when the publish call started and how long its 201 took.</summary>
public sealed record Publication(Guid IncidentId, Guid UpdateId, long StartTicks, DateTimeOffset StartWall, double ApiMs);

/// <param name="FakesDoneTicks">When the fakes had seen every recipient.</param>
/// <param name="SettledTicks">When, after that, the database had no queued delivery of the update left.</param>
/// <param name="DbPolls">Queries the driver ran against the CommsHub database meanwhile (each one transaction).</param>
public sealed record Completion(long FakesDoneTicks, long SettledTicks, int DbPolls);

public sealed record ChannelCheck(string Channel, int Expected, CounterSnapshot Fake, long Deliveries, long DistinctSubscribers,
    long Sent, long Queued, int MaxAttempts, long DistinctProviderIds, double? FirstPlannedMs, double? LastPlannedMs,
    double? FirstRequestMs, double? LastRequestMs, double? FirstSentRecordedMs, double? LastSentRecordedMs)
{
    public bool ExactlyOnce =>
        Fake.Recipients == Expected && Fake.Unique == Expected && Fake.Duplicates == 0 && Fake.Foreign == 0 && Fake.Rejected == 0
        && Deliveries == Expected && DistinctSubscribers == Expected && Sent == Expected && Queued == 0 && MaxAttempts == 1;
}

public sealed record Verification(IReadOnlyList<ChannelCheck> Channels, IReadOnlyList<string> Problems)
{
    public bool ExactlyOnce => Problems.Count == 0;
}

public sealed record ImportReport(string Channel, int Count, int Requests, double Seconds);

/// <summary>
/// The scenario driver: imports the audience through the admin API, publishes one incident
/// restricted to the scenario's channels, waits until every recipient reached its fake and the
/// database has nothing queued, then checks exactly-once at the fakes and in the database. The
/// bench runs it against CommsHub processes; the integration smoke test against in-process hosts.
/// </summary>
public sealed class FanOutDriver(HttpClient api, string database, ProviderFakes fakes, Action<string>? log = null)
{
    public HttpClient Api => api;
    public ProviderFakes Fakes => fakes;

    /// <summary>Email and SMS audiences go in as <c>text/csv</c> (<c>POST /api/subscribers/import</c>) in chunks;
    /// webhook subscribers one by one (<c>POST /api/subscribers</c>): an imported one gets no signing secret.</summary>
    public async Task<IReadOnlyList<ImportReport>> ImportAsync(Audience audience, int chunk = 50_000, CancellationToken ct = default)
    {
        var reports = new List<ImportReport>();
        if (audience.Email > 0)
        {
            reports.Add(await ImportCsvAsync("email", "email", audience.Email, Addresses.Email, chunk, ct));
        }
        if (audience.Sms > 0)
        {
            reports.Add(await ImportCsvAsync("sms", "phone", audience.Sms, Addresses.Phone, chunk, ct));
        }
        if (audience.Webhook > 0)
        {
            reports.Add(await CreateWebhookSubscribersAsync(audience.Webhook, ct));
        }
        return reports;
    }

    private async Task<ImportReport> ImportCsvAsync(string channel, string column, int count, Func<int, string> address, int chunk, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var requests = 0;
        for (var from = 0; from < count; from += chunk)
        {
            var to = Math.Min(count, from + chunk);
            var csv = new StringBuilder(column).Append('\n');
            for (var i = from; i < to; i++)
            {
                csv.Append(address(i)).Append('\n');
            }
            using var content = new StringContent(csv.ToString(), Encoding.UTF8, "text/csv");
            using var response = await api.PostAsync("/api/subscribers/import", content, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"import of {channel} {from}..{to - 1} answered {(int)response.StatusCode}: {Cut(text)}");
            }
            var result = JsonNode.Parse(text)!;
            var rejected = result["rejected"]!.AsArray();
            var taken = result["imported"]!.GetValue<int>() + result["updated"]!.GetValue<int>() + (result["unchanged"]?.GetValue<int>() ?? 0);
            if (rejected.Count > 0 || taken != to - from)
            {
                throw new InvalidOperationException($"import of {channel} {from}..{to - 1}: {taken} taken, {rejected.Count} rejected, first: {Cut(rejected.FirstOrDefault()?.ToJsonString() ?? "-")}");
            }
            requests++;
            log?.Invoke($"  imported {channel} {to:N0}/{count:N0}");
        }
        return new ImportReport(channel, count, requests, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private async Task<ImportReport> CreateWebhookSubscribersAsync(int count, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, token) =>
        {
            using var response = await api.PostAsJsonAsync("/api/subscribers", new { webhookUrl = Addresses.Webhook(fakes.Url, i), confirmed = true }, token);
            if (response.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"webhook subscriber {i} answered {(int)response.StatusCode}: {Cut(await response.Content.ReadAsStringAsync(token))}");
            }
        });
        log?.Invoke($"  created {count:N0} webhook subscribers");
        return new ImportReport("webhook", count, count, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>Resets the fakes, then <c>POST /api/incidents</c> with the scenario's channels; the clock starts just before the request.</summary>
    public async Task<Publication> PublishAsync(Audience audience, string title, CancellationToken ct = default)
    {
        fakes.Reset(audience);
        var body = new
        {
            title,
            message = "Video playback is failing for some viewers. We are investigating and will post an update within 30 minutes.",
            impact = "major",
            channels = audience.Channels,
        };
        var startWall = DateTimeOffset.UtcNow;
        var start = Stopwatch.GetTimestamp();
        using var response = await api.PostAsJsonAsync("/api/incidents", body, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        var apiMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /api/incidents answered {(int)response.StatusCode}: {Cut(text)}");
        }
        var incident = JsonNode.Parse(text)!;
        return new Publication(Guid.Parse(incident["id"]!.GetValue<string>()), Guid.Parse(incident["updates"]![0]!["id"]!.GetValue<string>()),
            start, startWall, apiMs);
    }

    /// <summary>Waits until every recipient reached its fake and no delivery of the update is queued.</summary>
    public async Task<Completion> WaitAsync(Publication publication, Audience audience, TimeSpan deadline, CancellationToken ct = default)
    {
        var until = Stopwatch.GetTimestamp() + (long)(deadline.TotalSeconds * Stopwatch.Frequency);
        var polls = 0;
        long fakesDone = 0;
        long nextDbCheck = 0;
        long settledButShortSince = 0;
        await using var db = new NpgsqlConnection(database);
        await db.OpenAsync(ct);
        while (true)
        {
            var now = Stopwatch.GetTimestamp();
            if (fakesDone == 0 && audience.Channels.All(c => fakes.For(c).Recipients >= audience.Count(c)))
            {
                fakesDone = now;
            }
            if (fakesDone != 0 || now >= nextDbCheck)
            {
                // Before the fakes are done, a look every 10 seconds only to stop early when the database has
                // settled short of the audience (a send that failed). The count reads every delivery of the update:
                // at a million, a look every half second took a third of a core from the PostgreSQL being measured.
                var (total, queued) = await CountAsync(db, publication.UpdateId, ct);
                polls++;
                nextDbCheck = now + 10 * Stopwatch.Frequency;
                if (total >= audience.Total && queued == 0)
                {
                    if (fakesDone != 0)
                    {
                        return new Completion(fakesDone, Stopwatch.GetTimestamp(), polls);
                    }
                    settledButShortSince = settledButShortSince == 0 ? now : settledButShortSince;
                    if (now - settledButShortSince > 3 * Stopwatch.Frequency)
                    {
                        throw new InvalidOperationException(
                            $"update {publication.UpdateId}: every delivery settled but the fakes saw only {Progress(audience)}: see the deliveries' status and lastError");
                    }
                }
            }
            if (now > until)
            {
                var (total, queued) = await CountAsync(db, publication.UpdateId, ct);
                throw new TimeoutException($"update {publication.UpdateId}: after {deadline.TotalSeconds:0} s the fakes saw {Progress(audience)}; " +
                                           $"deliveries {total:N0} planned, {queued:N0} still queued");
            }
            await Task.Delay(fakesDone == 0 ? 5 : 50, ct);
        }
    }

    private string Progress(Audience audience) =>
        string.Join(", ", audience.Channels.Select(c => $"{c} {fakes.For(c).Recipients:N0}/{audience.Count(c):N0}"));

    private static async Task<(long Total, long Queued)> CountAsync(NpgsqlConnection db, Guid updateId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT count(*), count(*) FILTER (WHERE status = 'queued') FROM deliveries WHERE update_id = @u", db);
        cmd.Parameters.AddWithValue("u", updateId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>
    /// After <paramref name="settle"/> (a duplicate send would arrive meanwhile): every recipient
    /// exactly once at its fake, and in the database one delivery per subscriber, all sent, one attempt each.
    /// </summary>
    public async Task<Verification> VerifyAsync(Publication publication, Audience audience, TimeSpan settle, CancellationToken ct = default)
    {
        if (settle > TimeSpan.Zero)
        {
            await Task.Delay(settle, ct);
        }
        await using var db = new NpgsqlConnection(database);
        await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("""
            SELECT channel, count(*), count(DISTINCT subscriber_id), count(*) FILTER (WHERE status = 'sent'),
                   count(*) FILTER (WHERE status = 'queued'), coalesce(max(attempts), 0), count(DISTINCT provider_message_id),
                   min(created_at), max(created_at), min(sent_at), max(sent_at)
            FROM deliveries WHERE update_id = @u GROUP BY channel
            """, db);
        cmd.Parameters.AddWithValue("u", publication.UpdateId);
        var rows = new Dictionary<string, object[]>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var values = new object[reader.FieldCount];
                reader.GetValues(values);
                rows[reader.GetString(0)] = values;
            }
        }

        double? Ms(object value) => value is DateTime t ? Math.Round((new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) - publication.StartWall).TotalMilliseconds, 1) : null;
        double? Ticks(long ticks) => ticks == 0 ? null : Math.Round((ticks - publication.StartTicks) * 1000.0 / Stopwatch.Frequency, 1);

        var checks = new List<ChannelCheck>();
        var problems = new List<string>();
        foreach (var channel in audience.Channels)
        {
            var fake = fakes.For(channel);
            var r = rows.GetValueOrDefault(channel) ?? [channel, 0L, 0L, 0L, 0L, 0, 0L, DBNull.Value, DBNull.Value, DBNull.Value, DBNull.Value];
            var check = new ChannelCheck(channel, audience.Count(channel), fake.Snapshot(), (long)r[1], (long)r[2], (long)r[3], (long)r[4],
                Convert.ToInt32(r[5], System.Globalization.CultureInfo.InvariantCulture), (long)r[6],
                Ms(r[7]), Ms(r[8]), Ticks(fake.FirstTicks), Ticks(fake.LastTicks), Ms(r[9]), Ms(r[10]));
            checks.Add(check);
            if (!check.ExactlyOnce)
            {
                problems.Add($"{channel}: expected {check.Expected:N0}; fake received {check.Fake.Recipients:N0} ({check.Fake.Unique:N0} unique, " +
                             $"{check.Fake.Duplicates:N0} repeated, {check.Fake.Foreign:N0} unknown, {check.Fake.Rejected:N0} rejected requests); " +
                             $"database {check.Deliveries:N0} deliveries, {check.DistinctSubscribers:N0} subscribers, {check.Sent:N0} sent, " +
                             $"{check.Queued:N0} queued, max attempts {check.MaxAttempts}");
            }
        }
        foreach (var other in rows.Keys.Except(audience.Channels))
        {
            problems.Add($"{other}: {rows[other][1]} deliveries on a channel the update was not meant for");
        }
        return new Verification(checks, problems);
    }

    private static string Cut(string text) => text.Length <= 500 ? text : text[..500] + "…";
}
