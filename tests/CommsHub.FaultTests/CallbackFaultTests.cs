using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using Xunit.Abstractions;
using static CommsHub.FaultTests.CallbackRequests;

namespace CommsHub.FaultTests;

/// <summary>
/// Provider callbacks against real deliveries (the SDKs sent through loopback SendGrid and Twilio
/// fakes, so the message ids are the providers'): genuine, forged, replayed, stale and out-of-order,
/// one after another and all at once. Forged and stale posts are refused and change nothing; replays
/// are accepted and change nothing; every genuine report has exactly one effect.
/// </summary>
public sealed class CallbackFaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int PerChannel = 100;
    private const string WrongToken = "fedcba9876543210fedcba9876543210";

    private readonly SendGridFake _sendGrid = new();
    private readonly TwilioFake _twilio = new();
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private Infrastructure _infra = null!;
    private CommsHubApp _app = null!;

    private sealed record Sent(string Id, string Recipient, string MessageId);

    public async Task InitializeAsync()
    {
        _infra = await Infrastructure.CreateAsync();
        var settings = _infra.Settings();
        settings["Channels:Email:SendGrid:ApiKey"] = "SG.callbacks";
        settings["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url;
        settings["Channels:Email:SendGrid:EventWebhookPublicKey"] = Convert.ToBase64String(_key.ExportSubjectPublicKeyInfo());
        settings["Channels:Email:From"] = "status@acme.example";
        settings["Channels:Sms:Twilio:AccountSid"] = TwilioFake.AccountSid;
        settings["Channels:Sms:Twilio:AuthToken"] = TwilioFake.AuthToken;
        settings["Channels:Sms:Twilio:BaseUrl"] = _twilio.Url;
        settings["Channels:Sms:From"] = "+15005550006";
        settings["Channels:Sms:MessagesPerSecond"] = "1000";
        _app = new CommsHubApp(settings);
        _ = _app.Server;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _sendGrid.Dispose();
        _twilio.Dispose();
        _key.Dispose();
        _otherKey.Dispose();
        await _infra.DisposeAsync();
    }

    [Fact]
    public async Task Forged_and_stale_callbacks_are_refused_replays_change_nothing_and_each_genuine_report_applies_once()
    {
        var (emails, texts) = await PublishAsync();
        var now = DateTimeOffset.UtcNow;

        // Genuine: the first half of the mails delivered, the second half bounced, each after a
        // "processed" (which records nothing); texts delivered (the last fifth undelivered), each
        // followed by a late "sent" that must not move it back.
        var sendGridEvents = emails.SelectMany((d, i) => new[]
        {
            SendGridEvent("processed", d.Recipient, d.Id, d.MessageId, now.AddSeconds(-30)),
            SendGridEvent(i < PerChannel / 2 ? "delivered" : "bounce", d.Recipient, d.Id, d.MessageId, now.AddSeconds(-10)),
        }).ToList();
        var genuineSendGrid = sendGridEvents.Chunk(20).Select(batch => SignedSendGrid("genuine SendGrid batch", batch, _key, now)).ToList();
        var genuineTwilio = texts.SelectMany((d, i) => new[]
        {
            i < PerChannel * 4 / 5
                ? SignedTwilio("genuine Twilio delivered", TwilioStatusPath, TwilioStatus(d.MessageId, d.Recipient, "delivered"), TwilioFake.AuthToken)
                : SignedTwilio("genuine Twilio undelivered", TwilioStatusPath, TwilioStatus(d.MessageId, d.Recipient, "undelivered", "30003"), TwilioFake.AuthToken),
            SignedTwilio("genuine Twilio late sent", TwilioStatusPath, TwilioStatus(d.MessageId, d.Recipient, "sent"), TwilioFake.AuthToken),
        }).ToList();
        var genuine = genuineSendGrid.Concat(genuineTwilio).ToList();

        var forged = Forged(emails, texts, now);
        var stale = Stale(emails, now);
        // Replays: every genuine request again, byte for byte, and the SendGrid batches re-signed now
        // (SendGrid's own retry of a post it thinks failed carries the same event ids).
        var replays = genuine.Select(r => r.Replay())
            .Concat(sendGridEvents.Chunk(20).Select(batch => SignedSendGrid("re-signed SendGrid retry", batch, _key, DateTimeOffset.UtcNow)))
            .ToList();
        output.WriteLine($"{sendGridEvents.Count + genuineTwilio.Count} genuine events in {genuine.Count} requests, "
            + $"{forged.Count} forged, {stale.Count} stale, {replays.Count} replays");

        // 1. Forged and stale, one by one, before anything genuine arrived: refused, nothing changes.
        var untouched = await DigestAsync();
        await SendAllAsync(forged.Concat(stale), parallelism: 1);
        Assert.Equal(untouched, await DigestAsync());

        // 2. Everything at once, shuffled: genuine, replays, forged and stale interleaved.
        var everything = genuine.Concat(replays).Concat(forged).Concat(stale).OrderBy(_ => Random.Shared.Next()).ToList();
        var answers = await SendAllAsync(everything, parallelism: 16);
        output.WriteLine($"concurrently: {answers.Count(a => a == HttpStatusCode.OK)} accepted, {answers.Count(a => a == HttpStatusCode.Forbidden)} refused");

        await AssertOneEffectPerGenuineEventAsync(emails, texts);

        // 3. Every genuine request once more, in order: accepted, and not one row moves.
        var settled = await DigestAsync();
        await SendAllAsync(genuine.Select(r => r.Replay()), parallelism: 1);
        await SendAllAsync(forged.Concat(stale), parallelism: 4);
        Assert.Equal(settled, await DigestAsync());
    }

    [Fact]
    public async Task Replayed_STOP_and_START_texts_have_no_second_effect_and_forged_ones_none_at_all()
    {
        var (_, texts) = await PublishAsync(emailCount: 0, smsCount: 30);
        var stops = texts.Take(10).Select(d => SignedTwilio("STOP", TwilioSmsPath, InboundSms(NewSid(), d.Recipient, "STOP"), TwilioFake.AuthToken)).ToList();
        var starts = texts.Take(5).Select(d => SignedTwilio("START", TwilioSmsPath, InboundSms(NewSid(), d.Recipient, "START"), TwilioFake.AuthToken)).ToList();

        await SendAllAsync(stops, parallelism: 1);
        var afterStop = await SubscriberStatesAsync();
        Assert.Equal(10, afterStop.Count(s => s.Value.StartsWith("unsubscribed", StringComparison.Ordinal)));

        // The same STOPs five times over, at once: accepted, and the time they left stays the first one.
        await SendAllAsync(stops.SelectMany(s => Enumerable.Repeat(s.Replay(), 5)), parallelism: 16);
        Assert.Equal(afterStop, await SubscriberStatesAsync());

        // They come back; a captured STOP sent again must not unsubscribe them a second time, nor a START re-confirm.
        await SendAllAsync(starts, parallelism: 1);
        var afterStart = await SubscriberStatesAsync();
        Assert.Equal(5, afterStart.Count(s => s.Value.StartsWith("confirmed", StringComparison.Ordinal) && texts.Take(5).Any(t => t.Recipient == s.Key)));
        await SendAllAsync(stops.Concat(starts).SelectMany(r => Enumerable.Repeat(r.Replay(), 3)).OrderBy(_ => Random.Shared.Next()), parallelism: 16);
        Assert.Equal(afterStart, await SubscriberStatesAsync());

        // Forged STOPs for the twenty who never texted: refused, all still confirmed.
        var forged = texts.Skip(10).SelectMany(d => new[]
        {
            SignedTwilio("STOP signed with another token", TwilioSmsPath, InboundSms(NewSid(), d.Recipient, "STOP"), WrongToken, HttpStatusCode.Forbidden),
            SignedTwilio("STOP signed for another URL", TwilioSmsPath, InboundSms(NewSid(), d.Recipient, "STOP"), TwilioFake.AuthToken, HttpStatusCode.Forbidden,
                signedUrl: PublicBase + TwilioStatusPath),
            SignedTwilio("HELP turned into STOP", TwilioSmsPath, InboundSms(NewSid(), d.Recipient, "HELP"), TwilioFake.AuthToken, HttpStatusCode.Forbidden,
                tamper: p => p["Body"] = "STOP"),
            SignedTwilio("STOP without a signature", TwilioSmsPath, InboundSms(NewSid(), d.Recipient, "STOP"), TwilioFake.AuthToken, HttpStatusCode.Forbidden,
                withSignature: false),
        }).ToList();
        await SendAllAsync(forged, parallelism: 8);
        Assert.Equal(afterStart, await SubscriberStatesAsync());
        Assert.Equal(15, await ScalarAsync("SELECT count(*) FROM inbound_messages WHERE provider = 'twilio-sms'"));
    }

    private List<CallbackRequest> Forged(List<Sent> emails, List<Sent> texts, DateTimeOffset now)
    {
        // Each would visibly change something if believed: a bounce for a mail that is delivered, a
        // failure for a text that is delivered. Fresh event ids, so de-duplication cannot hide it.
        var forged = new List<CallbackRequest>();
        var deliveredMail = emails.Take(PerChannel / 2).ToList();
        var deliveredText = texts.Take(PerChannel * 4 / 5).ToList();
        JsonObject Bounce(int i)
        {
            var d = deliveredMail[i % deliveredMail.Count];
            return SendGridEvent("bounce", d.Recipient, d.Id, d.MessageId, now);
        }
        for (var i = 0; i < 20; i++)
        {
            forged.Add(SignedSendGrid("SendGrid: random signature", [Bounce(i)], _key, now, HttpStatusCode.Forbidden,
                signature: Convert.ToBase64String(RandomNumberGenerator.GetBytes(70))));
            forged.Add(SignedSendGrid("SendGrid: signed with another key", [Bounce(i + 20)], _otherKey, now, HttpStatusCode.Forbidden));
            forged.Add(SignedSendGrid("SendGrid: body changed after signing", [Bounce(i + 40)], _key, now, HttpStatusCode.Forbidden,
                tamper: body => body.Replace("\"bounce\"", "\"bounce\" ", StringComparison.Ordinal)));
            forged.Add(SignedSendGrid("SendGrid: delivered rewritten as bounce", [SendGridEvent("delivered", deliveredMail[i].Recipient,
                deliveredMail[i].Id, deliveredMail[i].MessageId, now)], _key, now, HttpStatusCode.Forbidden,
                tamper: body => body.Replace("\"delivered\"", "\"bounce\"", StringComparison.Ordinal)));
        }
        for (var i = 0; i < 10; i++)
        {
            forged.Add(SignedSendGrid("SendGrid: no signature header", [Bounce(i)], _key, now, HttpStatusCode.Forbidden, withSignature: false));
            forged.Add(SignedSendGrid("SendGrid: no timestamp header", [Bounce(i + 10)], _key, now, HttpStatusCode.Forbidden, withTimestamp: false));
            forged.Add(SignedSendGrid("SendGrid: signature for another timestamp", [Bounce(i + 20)], _key, now.AddSeconds(-60), HttpStatusCode.Forbidden,
                timestampHeader: now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
            forged.Add(SignedSendGrid("SendGrid: signature not base64", [Bounce(i + 30)], _key, now, HttpStatusCode.Forbidden, signature: "not base64!"));
        }
        for (var i = 0; i < 20; i++)
        {
            var d = deliveredText[i];
            forged.Add(SignedTwilio("Twilio: random signature", TwilioStatusPath, TwilioStatus(d.MessageId, d.Recipient, "failed", "30007"), TwilioFake.AuthToken,
                HttpStatusCode.Forbidden, signature: Convert.ToBase64String(RandomNumberGenerator.GetBytes(20))));
            forged.Add(SignedTwilio("Twilio: signed with another token", TwilioStatusPath, TwilioStatus(d.MessageId, d.Recipient, "failed", "30007"), WrongToken,
                HttpStatusCode.Forbidden));
            forged.Add(SignedTwilio("Twilio: delivered rewritten as failed", TwilioStatusPath, TwilioStatus(d.MessageId, d.Recipient, "delivered"),
                TwilioFake.AuthToken, HttpStatusCode.Forbidden, tamper: p => { p["MessageStatus"] = "failed"; p["ErrorCode"] = "30007"; }));
            forged.Add(SignedTwilio("Twilio: sent rewritten as undelivered", TwilioStatusPath, TwilioStatus(d.MessageId, d.Recipient, "sent"),
                TwilioFake.AuthToken, HttpStatusCode.Forbidden, tamper: p => { p["MessageStatus"] = "undelivered"; p["ErrorCode"] = "30003"; }));
        }
        for (var i = 0; i < 10; i++)
        {
            var d = deliveredText[20 + i];
            forged.Add(SignedTwilio("Twilio: no signature header", TwilioStatusPath, TwilioStatus(d.MessageId, d.Recipient, "failed"), TwilioFake.AuthToken,
                HttpStatusCode.Forbidden, withSignature: false));
            forged.Add(SignedTwilio("Twilio: signed for another host", TwilioStatusPath, TwilioStatus(d.MessageId, d.Recipient, "failed"), TwilioFake.AuthToken,
                HttpStatusCode.Forbidden, signedUrl: "https://attacker.test" + TwilioStatusPath));
            forged.Add(SignedTwilio("Twilio: signed for the inbound SMS URL", TwilioStatusPath, TwilioStatus(d.MessageId, d.Recipient, "failed"), TwilioFake.AuthToken,
                HttpStatusCode.Forbidden, signedUrl: PublicBase + TwilioSmsPath));
            forged.Add(SignedTwilio("Twilio: signed with a query string it lacks", TwilioStatusPath, TwilioStatus(d.MessageId, d.Recipient, "failed"),
                TwilioFake.AuthToken, HttpStatusCode.Forbidden, signedUrl: PublicBase + TwilioStatusPath + "?attempt=2"));
        }
        return forged;
    }

    /// <summary>Correctly signed, with a timestamp outside the five-minute window (either way).</summary>
    private List<CallbackRequest> Stale(List<Sent> emails, DateTimeOffset now)
    {
        var ages = new[] { TimeSpan.FromSeconds(-310), TimeSpan.FromMinutes(-30), TimeSpan.FromDays(-1), TimeSpan.FromSeconds(310), TimeSpan.FromDays(2) };
        return Enumerable.Range(0, 100).Select(i =>
        {
            var d = emails[i % (PerChannel / 2)];
            var signedAt = now + ages[i % ages.Length];
            return SignedSendGrid($"stale SendGrid ({ages[i % ages.Length]})", [SendGridEvent("bounce", d.Recipient, d.Id, d.MessageId, signedAt)], _key,
                signedAt, HttpStatusCode.Forbidden);
        }).ToList();
    }

    private async Task AssertOneEffectPerGenuineEventAsync(List<Sent> emails, List<Sent> texts)
    {
        var statuses = await RowsAsync("SELECT id::text, status FROM deliveries");
        var half = PerChannel / 2;
        var fifth = PerChannel * 4 / 5;
        Assert.All(emails.Take(half), d => Assert.Equal("delivered", statuses[d.Id]));
        Assert.All(emails.Skip(half), d => Assert.Equal("bounced", statuses[d.Id]));
        Assert.All(texts.Take(fifth), d => Assert.Equal("delivered", statuses[d.Id]));
        Assert.All(texts.Skip(fifth), d => Assert.Equal("failed", statuses[d.Id]));

        var audit = await RowsAsync("SELECT actor || ' ' || action, count(*)::text FROM audit_entries WHERE actor IN ('sendgrid', 'twilio') GROUP BY 1");
        Assert.Equal(new Dictionary<string, string>
        {
            ["sendgrid delivery.delivered"] = $"{half}",
            ["sendgrid delivery.bounced"] = $"{PerChannel - half}",
            ["sendgrid subscriber.suppressed"] = $"{PerChannel - half}",
            ["twilio delivery.delivered"] = $"{fifth}",
            ["twilio delivery.failed"] = $"{PerChannel - fifth}",
        }.OrderBy(p => p.Key), audit.OrderBy(p => p.Key));
        Assert.Equal(0, await ScalarAsync(
            "SELECT count(*) FROM (SELECT subject FROM audit_entries WHERE actor IN ('sendgrid', 'twilio') GROUP BY subject, action HAVING count(*) > 1) t"));
        Assert.Equal(PerChannel - half, await ScalarAsync("SELECT count(*) FROM subscribers WHERE status = 'suppressed'"));
        Assert.Equal(PerChannel - fifth, await ScalarAsync("SELECT count(*) FROM deliveries WHERE channel = 'sms' AND last_error LIKE 'Twilio 30003%'"));
        // Only genuine reports are remembered: one per actionable SendGrid event, one per Twilio (message, status).
        var claims = await RowsAsync("SELECT provider, count(*)::text FROM inbound_messages GROUP BY provider");
        Assert.Equal($"{PerChannel}", claims["sendgrid-event"]);
        Assert.Equal($"{PerChannel * 2}", claims["twilio-status"]);
    }

    private async Task<(List<Sent> Emails, List<Sent> Texts)> PublishAsync(int emailCount = PerChannel, int smsCount = PerChannel)
    {
        var csv = new StringBuilder("email,phone\n");
        for (var i = 0; i < emailCount; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"reader{i:D3}@example.com,\n");
        }
        for (var i = 0; i < smsCount; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $",+1202555{100 + i:D4}\n");
        }
        using var admin = _app.Admin();
        using (var import = await admin.PostAsync("/api/subscribers/import", new StringContent(csv.ToString(), Encoding.UTF8, "text/csv")))
        {
            Assert.Equal(HttpStatusCode.OK, import.StatusCode);
        }
        var incident = await admin.PostAsync("/api/incidents", new { title = "Login errors", message = "We are investigating." });
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();
        List<JsonNode> sent = [];
        await Eventually.HoldsAsync(async () => (sent = await admin.AllDeliveriesAsync($"updateId={updateId}&status=sent")).Count == emailCount + smsCount,
            $"{emailCount} mails and {smsCount} texts are sent");
        List<Sent> Of(string channel) => sent.Where(d => d["channel"]!.GetValue<string>() == channel)
            .Select(d => new Sent(d["id"]!.GetValue<string>(), d["recipient"]!.GetValue<string>(), d["providerMessageId"]!.GetValue<string>()))
            .OrderBy(d => d.Recipient, StringComparer.Ordinal).ToList();
        return (Of("email"), Of("sms"));
    }

    /// <summary>Sends each request, asserting the answer it expects; returns the answers.</summary>
    private async Task<List<HttpStatusCode>> SendAllAsync(IEnumerable<CallbackRequest> requests, int parallelism)
    {
        var answers = new ConcurrentBag<HttpStatusCode>();
        var wrong = new ConcurrentBag<string>();
        using var client = _app.CreateClient();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (request, ct) =>
        {
            using var message = request.ToMessage();
            using var response = await client.SendAsync(message, ct);
            answers.Add(response.StatusCode);
            if (response.StatusCode != request.Expected)
            {
                wrong.Add($"{request.Kind}: {(int)response.StatusCode}, expected {(int)request.Expected}: {await response.Content.ReadAsStringAsync(ct)}");
            }
        });
        Assert.True(wrong.IsEmpty, $"{wrong.Count} unexpected answers, e.g. {string.Join("; ", wrong.Take(5))}");
        return [.. answers];
    }

    /// <summary>Everything a callback could change, as one comparable text.</summary>
    private async Task<string> DigestAsync()
    {
        var parts = new List<string>();
        foreach (var sql in new[]
        {
            "SELECT string_agg(id::text || status || coalesce(delivered_at::text, '') || coalesce(last_error, ''), ',' ORDER BY id) FROM deliveries",
            "SELECT string_agg(id::text || status || coalesce(unsubscribed_at::text, ''), ',' ORDER BY id) FROM subscribers",
            "SELECT count(*)::text FROM suppressions",
            "SELECT count(*)::text FROM audit_entries",
            "SELECT count(*)::text FROM inbound_messages",
        })
        {
            await using var connection = new NpgsqlConnection(_infra.PostgresConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            var value = await command.ExecuteScalarAsync() as string ?? "";
            parts.Add(value.Length > 40 ? Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..16] : value);
        }
        return string.Join(" | ", parts);
    }

    private Task<Dictionary<string, string>> SubscriberStatesAsync() =>
        RowsAsync("SELECT address, status || ' ' || coalesce(unsubscribed_at::text, '-') || ' ' || coalesce(confirmed_at::text, '-') FROM subscribers WHERE channel = 'sms'");

    private async Task<Dictionary<string, string>> RowsAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_infra.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new Dictionary<string, string>();
        while (await reader.ReadAsync())
        {
            rows[reader.GetString(0)] = reader.GetString(1);
        }
        return rows;
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_infra.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
