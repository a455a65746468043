using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.RateLimiting;
using FanOutBench.Driver;
using FanOutBench.Fakes;

namespace FanOutBench.Baselines;

/// <param name="EmailConcurrency">SendGrid requests in flight: send-email-batch's ConcurrentMessageLimit (16).</param>
/// <param name="SmsConcurrency">Twilio requests in flight: send-sms-batch's ConcurrentMessageLimit (4) × what each batch sends at once
/// (<see cref="SmsPerBatch"/>).</param>
/// <param name="SmsPerSecond">The SMS rate budget (Channels:Sms:MessagesPerSecond), or null for none.</param>
/// <param name="WebhookConcurrency">POSTs in flight: 16 per batch × send-webhook-batch's ConcurrentMessageLimit (8).</param>
public sealed record IdealSettings(int EmailConcurrency = 16, int SmsConcurrency = 4 * 16, double? SmsPerSecond = 1000, int WebhookConcurrency = 128,
    int EmailPerRequest = 1000)
{
    /// <summary>
    /// Texts of one batch in flight at a budget, as CommsHub's SmsAdapter.ParallelismFor has it (the bench does not
    /// reference the product): enough for the budget with Twilio answering in a quarter second, 4 batches at once, at most 16.
    /// </summary>
    public static int SmsPerBatch(double? perSecond) => perSecond is { } rate ? Math.Clamp((int)Math.Ceiling(rate * 0.25 / 4), 1, 16) : 16;

    public static IdealSettings For(double? smsPerSecond) => new(SmsConcurrency: 4 * SmsPerBatch(smsPerSecond), SmsPerSecond: smsPerSecond);
}

public sealed record IdealResult(double Seconds, IReadOnlyDictionary<string, double> SecondsByChannel, IReadOnlyDictionary<string, long> BytesPerRequest,
    bool AllReceivedOnce, string Detail);

/// <summary>
/// The idealised sender: the same provider requests the fan-out makes (1,000 personalizations per
/// SendGrid request with the same per-recipient fields; one request per SMS and per webhook, of
/// about the same size), from one HttpClient loop at the same concurrency, to the same fakes. No
/// database, no broker: what the machine can do when sending is all there is to it.
/// </summary>
public static class IdealLoop
{
    public static async Task<IdealResult> RunAsync(ProviderFakes fakes, Audience audience, IdealSettings settings, CancellationToken ct = default)
    {
        fakes.Reset(audience);
        using var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), UseProxy = false };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(fakes.Url), Timeout = TimeSpan.FromSeconds(60) };
        var start = Stopwatch.GetTimestamp();
        var tasks = new List<Task>();
        if (audience.Email > 0)
        {
            tasks.Add(EmailAsync(http, audience.Email, settings, ct));
        }
        if (audience.Sms > 0)
        {
            tasks.Add(SmsAsync(http, audience.Sms, settings, ct));
        }
        if (audience.Webhook > 0)
        {
            tasks.Add(WebhooksAsync(http, audience.Webhook, settings, ct));
        }
        await Task.WhenAll(tasks);
        var byChannel = audience.Channels.ToDictionary(c => c, c => Math.Round((fakes.For(c).LastTicks - start) / (double)Stopwatch.Frequency, 3));
        var ok = audience.Channels.All(c => fakes.For(c) is var f && f.Recipients == audience.Count(c) && f.Unique == audience.Count(c) && f.Rejected == 0);
        var detail = string.Join(", ", audience.Channels.Select(c => $"{c}: {fakes.For(c).Requests:N0} requests, {fakes.For(c).Recipients:N0} recipients, max {fakes.For(c).MaxInFlight} in flight, {fakes.For(c).Bytes / Math.Max(1, fakes.For(c).Requests):N0} bytes/request"));
        var bytes = audience.Channels.ToDictionary(c => c, c => fakes.For(c).Bytes / Math.Max(1, fakes.For(c).Requests));
        return new IdealResult(byChannel.Values.Max(), byChannel, bytes, ok, detail);
    }

    private static async Task EmailAsync(HttpClient http, int count, IdealSettings settings, CancellationToken ct)
    {
        var batches = (count + settings.EmailPerRequest - 1) / settings.EmailPerRequest;
        await Parallel.ForEachAsync(Enumerable.Range(0, batches), new ParallelOptions { MaxDegreeOfParallelism = settings.EmailConcurrency, CancellationToken = ct },
            async (batch, token) =>
            {
                var from = batch * settings.EmailPerRequest;
                var to = Math.Min(count, from + settings.EmailPerRequest);
                var body = new ArrayBufferWriter<byte>(256 * 1024);
                WriteSendGridBody(body, from, to);
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v3/mail/send") { Content = new ReadOnlyMemoryContent(body.WrittenMemory) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ProviderFakes.SendGridKey);
                using var response = await http.SendAsync(request, token);
                response.EnsureSuccessStatusCode();
            });
    }

    /// <summary>What the SendGrid SDK sends for one batch: per recipient its address, delivery id, List-Unsubscribe headers and the unsubscribe substitution.</summary>
    private static void WriteSendGridBody(IBufferWriter<byte> buffer, int from, int to)
    {
        using var w = new Utf8JsonWriter(buffer);
        w.WriteStartObject();
        w.WriteStartObject("from");
        w.WriteString("name", "Bench");
        w.WriteString("email", "bench@example.com");
        w.WriteEndObject();
        w.WriteString("subject", "[Status] Video playback failing — Investigating");
        w.WriteStartArray("personalizations");
        for (var i = from; i < to; i++)
        {
            var unsubscribe = "http://127.0.0.1:5080/subscriptions/unsubscribe?token=" + Token(i);
            w.WriteStartObject();
            w.WriteStartArray("to");
            w.WriteStartObject();
            w.WriteString("email", Addresses.Email(i));
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartObject("headers");
            w.WriteString("List-Unsubscribe", $"<{unsubscribe}>");
            w.WriteString("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
            w.WriteEndObject();
            w.WriteStartObject("substitutions");
            w.WriteString("%unsubscribe_url%", unsubscribe);
            w.WriteEndObject();
            w.WriteStartObject("custom_args");
            w.WriteString("delivery_id", Guid.CreateVersion7().ToString());
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("content");
        foreach (var (type, value) in new[] { ("text/plain", Text), ("text/html", Html) })
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            w.WriteString("value", value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static readonly string Text = string.Concat(Enumerable.Repeat("Video playback is failing for some viewers. We are investigating. ", 8));
    private static readonly string Html = "<html><body><p>" + string.Concat(Enumerable.Repeat("Video playback is failing for some viewers. We are investigating. ", 16)) + "</p></body></html>";

    // About the size of CommsHub's unsubscribe token (Data Protection, ~200 characters): ~720 bytes per personalization, as measured.
    private static string Token(int i) =>
        Convert.ToBase64String([.. SHA512.HashData(BitConverter.GetBytes(i)), .. SHA512.HashData(BitConverter.GetBytes(~i)), .. SHA256.HashData(BitConverter.GetBytes(i))])[..200];

    private static async Task SmsAsync(HttpClient http, int count, IdealSettings settings, CancellationToken ct)
    {
        using var budget = settings.SmsPerSecond is { } perSecond ? Budget(perSecond) : null;
        var auth = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ProviderFakes.TwilioAccountSid}:{ProviderFakes.TwilioAuthToken}")));
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = settings.SmsConcurrency, CancellationToken = ct },
            async (i, token) =>
            {
                if (budget is not null)
                {
                    using var lease = await budget.AcquireAsync(1, token);
                }
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/2010-04-01/Accounts/{ProviderFakes.TwilioAccountSid}/Messages.json")
                {
                    Content = new FormUrlEncodedContent(new Dictionary<string, string>
                    {
                        ["To"] = Addresses.Phone(i),
                        ["From"] = "+12025550100",
                        ["Body"] = "Status: Video playback failing - Investigating. Video playback is failing for some viewers. We are investigating and will post an update within 30 minutes. http://127.0.0.1:5080/incidents/01a227c6-b0ec-7f5d-b6af-a3f46bdf7005",
                        ["StatusCallback"] = "http://127.0.0.1:5080/webhooks/twilio/status",
                    }),
                };
                request.Headers.Authorization = auth;
                using var response = await http.SendAsync(request, token);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync(token);
            });
    }

    /// <summary>The same token bucket as CommsHub's SmsRateBudget.</summary>
    private static TokenBucketRateLimiter Budget(double perSecond)
    {
        var tokens = Math.Max(1, (int)Math.Round(perSecond));
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = tokens,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = TimeSpan.FromSeconds(tokens / perSecond),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    private static async Task WebhooksAsync(HttpClient http, int count, IdealSettings settings, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetBytes(WebhookBody);
        using var hmac = new HMACSHA256(RandomNumberGenerator.GetBytes(32));
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = settings.WebhookConcurrency, CancellationToken = ct },
            async (i, token) =>
            {
                var id = "msg_" + Guid.CreateVersion7().ToString("N");
                var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                string signature;
                lock (hmac)
                {
                    signature = "v1," + Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(body).ToArray()));
                }
                using var request = new HttpRequestMessage(HttpMethod.Post, Addresses.Webhook(http.BaseAddress!.ToString(), i)) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Add("webhook-id", id);
                request.Headers.Add("webhook-timestamp", timestamp);
                request.Headers.Add("webhook-signature", signature);
                using var response = await http.SendAsync(request, token);
                response.EnsureSuccessStatusCode();
            });
    }

    // About the size of the Statuspage-shaped body CommsHub sends for an incident update (~1,650 bytes, as measured).
    private static readonly string WebhookBody = JsonSerializer.Serialize(new
    {
        meta = new { unsubscribe = "http://127.0.0.1:5080/subscriptions/unsubscribe?token=" + new string('A', 200), documentation = "https://example.com/docs", generated_at = "2026-01-01T00:00:00Z" },
        padding = new string('x', 700),
        page = new { id = "commshub", status_indicator = "major", status_description = "Partial System Outage" },
        incident = new
        {
            id = Guid.NewGuid(), name = "Video playback failing", status = "investigating", impact = "major",
            created_at = "2026-01-01T00:00:00Z", updated_at = "2026-01-01T00:00:00Z", shortlink = "http://127.0.0.1:5080/incidents/x",
            incident_updates = new[] { new { id = Guid.NewGuid(), status = "investigating", body = string.Concat(Enumerable.Repeat("Video playback is failing for some viewers. ", 3)), created_at = "2026-01-01T00:00:00Z" } },
        },
    });
}
