using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace CommsHub.IntegrationTests;

/// <summary>
/// SendGrid Event Webhook batches on PostgreSQL: a thousand events in one post, and competing posts
/// (replays, contradicting reports) at the same time, against deliveries the real SDK sent.
/// </summary>
public sealed class ProviderCallbackTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly SendGridFake _sendGrid = new();
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private Infrastructure _infra = null!;
    private CommsHubApp _app = null!;

    public async Task InitializeAsync()
    {
        _infra = await Infrastructure.CreateAsync();
        var settings = _infra.Settings();
        settings["Channels:Email:SendGrid:ApiKey"] = "SG.integration";
        settings["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url;
        settings["Channels:Email:SendGrid:EventWebhookPublicKey"] = Convert.ToBase64String(_key.ExportSubjectPublicKeyInfo());
        settings["Channels:Email:From"] = "status@acme.example";
        _app = new CommsHubApp(settings);
        _ = _app.Server;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _sendGrid.Dispose();
        _key.Dispose();
        await _infra.DisposeAsync();
    }

    private sealed record Sent(string Id, string Email, string MessageId);

    private async Task<List<Sent>> PublishToAsync(int count)
    {
        var csv = new StringBuilder("email\n");
        for (var i = 0; i < count; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"user{i:D4}@example.com\n");
        }
        using var admin = _app.Admin();
        using (var import = await admin.PostAsync("/api/subscribers/import", new StringContent(csv.ToString(), Encoding.UTF8, "text/csv")))
        {
            Assert.Equal(HttpStatusCode.OK, import.StatusCode);
        }
        var incident = await admin.PostAsync("/api/incidents", new { title = "Login errors", message = "We are investigating." });
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();
        List<JsonNode> sent = [];
        await Eventually.HoldsAsync(async () => (sent = await admin.AllDeliveriesAsync($"updateId={updateId}&status=sent")).Count == count,
            $"all {count} emails are sent");
        return sent.Select(d => new Sent(d["id"]!.GetValue<string>(), d["recipient"]!.GetValue<string>(), d["providerMessageId"]!.GetValue<string>()))
            .ToList();
    }

    private static JsonObject Event(string name, Sent d, string? eventId = null, int secondsAgo = 0)
    {
        var e = new JsonObject
        {
            ["email"] = d.Email,
            ["timestamp"] = DateTimeOffset.UtcNow.AddSeconds(-secondsAgo).ToUnixTimeSeconds(),
            ["event"] = name,
            ["sg_event_id"] = eventId ?? Guid.NewGuid().ToString("N"),
            ["sg_message_id"] = d.MessageId + ".filterdrecv-5645d9c87f-78xbn-1-5F5FC76C-20.0",
            ["delivery_id"] = d.Id,
        };
        if (name == "bounce")
        {
            e["type"] = "bounce";
            e["status"] = "5.1.1";
        }
        return e;
    }

    private async Task<HttpStatusCode> PostAsync(IEnumerable<JsonObject> events)
    {
        var payload = new JsonArray([.. events.Select(e => e.DeepClone())]).ToJsonString();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = Convert.ToBase64String(_key.SignData(Encoding.UTF8.GetBytes(timestamp + payload), HashAlgorithmName.SHA256,
            DSASignatureFormat.Rfc3279DerSequence));
        using var client = _app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/sendgrid/events")
        {
            Content = new StringContent(payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Twilio-Email-Event-Webhook-Signature", signature);
        request.Headers.Add("X-Twilio-Email-Event-Webhook-Timestamp", timestamp);
        using var response = await client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return response.StatusCode;
    }

    private async Task<T> WithDbAsync<T>(Func<CommsHubDbContext, Task<T>> query)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<CommsHubDbContext>());
    }

    private Task<Dictionary<string, int>> AuditCountsAsync() => WithDbAsync(db => db.AuditEntries.Where(a => a.Actor == "sendgrid")
        .GroupBy(a => a.Action).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count));

    [Fact]
    public async Task A_thousand_events_apply_in_one_post_and_competing_posts_apply_each_change_once()
    {
        var sent = await PublishToAsync(1000);

        // Spread over a few seconds, as a real batch is: several DeliveredAt values, several UPDATEs.
        var delivered = sent.Select((d, i) => Event("delivered", d, secondsAgo: i % 7)).ToList();
        var clock = Stopwatch.StartNew();
        await PostAsync([.. delivered, .. sent.Select(d => Event("processed", d))]);
        output.WriteLine($"2,000 events (1,000 changes) applied in {clock.ElapsedMilliseconds} ms");
        Assert.Equal(1000, await WithDbAsync(db => db.Deliveries.CountAsync(d => d.Status == DeliveryStatus.Delivered && d.DeliveredAt != null)));

        // At once: the bounces, a replay of the very same bounces, the delivered batch again, and
        // halves of the bounces in other posts (the same event ids, overlapping in other orders).
        var bounces = sent.Select(d => Event("bounce", d)).ToList();
        await Task.WhenAll(
            PostAsync(bounces),
            PostAsync(bounces),
            PostAsync(delivered),
            PostAsync(bounces.Skip(500)),
            PostAsync(Enumerable.Reverse(bounces).Take(700)));

        Assert.Equal(1000, await WithDbAsync(db => db.Deliveries.CountAsync(d => d.Status == DeliveryStatus.Bounced)));
        Assert.Equal(1000, await WithDbAsync(db => db.Subscribers.CountAsync(s => s.Status == SubscriberStatus.Suppressed)));
        var audit = await AuditCountsAsync();
        Assert.Equal(1000, audit["delivery.delivered"]);
        Assert.Equal(1000, audit["delivery.bounced"]);
        Assert.Equal(1000, audit["subscriber.suppressed"]);
        Assert.Equal(3, audit.Count);
    }
}
