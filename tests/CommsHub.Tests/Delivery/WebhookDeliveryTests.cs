using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace CommsHub.Tests.Delivery;

/// <summary>Updates to webhook subscribers: Statuspage's body, Standard Webhooks signatures, the retry schedule.</summary>
public sealed class WebhookDeliveryTests : SqliteAppTest, IDisposable
{
    private readonly WireMockServer _receiver = WireMockServer.Start();
    private int _count;

    public WebhookDeliveryTests() =>
        _receiver.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithCallback(_ =>
        {
            var (status, headers) = Answer(Interlocked.Increment(ref _count));
            return new ResponseMessage
            {
                StatusCode = status,
                Headers = headers.ToDictionary(h => h.Key, h => new WireMockList<string>(h.Value)),
                BodyData = new BodyData { BodyAsString = "", DetectedBodyType = BodyType.String },
            };
        }));

    private Func<int, (int, Dictionary<string, string>)> Answer { get; set; } = _ => (204, []);

    protected override Dictionary<string, string?> Settings() => new() { ["Webhooks:AllowPrivateTargets"] = "true" };

    public void Dispose() => _receiver.Stop();

    private async Task<(string Id, string Secret)> SubscribeAsync(string path)
    {
        var created = await Admin.PostAsync("/api/subscribers", new { webhookUrl = _receiver.Url + path, confirmed = true });
        return (created["id"]!.GetValue<string>(), created["secret"]!.GetValue<string>());
    }

    private static void AssertSigned(WireMock.Logging.ILogEntry entry, string secret)
    {
        var request = entry.RequestMessage;
        var id = request.Headers!["webhook-id"].Single();
        var timestamp = request.Headers["webhook-timestamp"].Single();
        using var hmac = new HMACSHA256(Convert.FromBase64String(secret["whsec_".Length..]));
        var expected = "v1," + Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes($"{id}.{timestamp}.{request.Body}")));
        Assert.Equal(expected, request.Headers["webhook-signature"].Single());
    }

    [Fact]
    public async Task Each_subscriber_gets_the_statuspage_body_signed_with_its_own_secret()
    {
        var streaming = await Admin.CreateComponentAsync("Streaming");
        var a = await SubscribeAsync("/a");
        var b = await SubscribeAsync("/b");
        var incident = await Admin.PostAsync("/api/incidents", new
        {
            title = "Video playback outage", message = "Playback fails for everyone.", impact = "critical",
            components = new[] { new { id = streaming, status = "major_outage" } },
        });
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();
        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"updateId={updateId}&status=sent")).Count == 2, "both webhooks are sent");

        var deliveries = await Admin.AllDeliveriesAsync($"updateId={updateId}");
        foreach (var (path, (subscriberId, secret)) in new[] { ("/a", a), ("/b", b) })
        {
            var entry = _receiver.LogEntries.Single(e => e.RequestMessage.Path == path);
            AssertSigned(entry, secret);
            var delivery = deliveries.Single(d => d["subscriberId"]!.GetValue<string>() == subscriberId);
            Assert.Equal("msg_" + Guid.Parse(delivery["id"]!.GetValue<string>()).ToString("N"), entry.RequestMessage.Headers!["webhook-id"].Single());

            var body = JsonNode.Parse(entry.RequestMessage.Body!)!;
            Assert.StartsWith("https://status.test/subscriptions/unsubscribe?token=", body["meta"]!["unsubscribe"]!.GetValue<string>());
            Assert.NotNull(body["meta"]!["generated_at"]);
            Assert.Equal("critical", body["page"]!["status_indicator"]!.GetValue<string>());
            Assert.Equal("Major System Outage", body["page"]!["status_description"]!.GetValue<string>());
            var i = body["incident"]!;
            Assert.Equal("Video playback outage", i["name"]!.GetValue<string>());
            Assert.Equal("investigating", i["status"]!.GetValue<string>());
            Assert.Equal("critical", i["impact"]!.GetValue<string>());
            Assert.Equal($"https://status.test/incidents/{incident["id"]}", i["shortlink"]!.GetValue<string>());
            var u = i["incident_updates"]![0]!;
            Assert.Equal("Playback fails for everyone.", u["body"]!.GetValue<string>());
            Assert.Equal("major_outage", u["affected_components"]![0]!["new_status"]!.GetValue<string>());
            Assert.Equal("operational", u["affected_components"]![0]!["old_status"]!.GetValue<string>());
        }
        Assert.NotEqual(_receiver.LogEntries.Single(e => e.RequestMessage.Path == "/a").RequestMessage.Body,
            _receiver.LogEntries.Single(e => e.RequestMessage.Path == "/b").RequestMessage.Body);
    }

    [Fact]
    public async Task Gone_ends_the_subscription()
    {
        Answer = _ => (410, []);
        var (id, _) = await SubscribeAsync("/gone");
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();
        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"updateId={updateId}&status=failed")).Count == 1, "the delivery fails");
        Assert.Equal(SubscriberStatus.Unsubscribed, await WithDbAsync(db => db.Subscribers.Where(s => s.Id == Guid.Parse(id)).Select(s => s.Status).SingleAsync()));
        Assert.Single(_receiver.LogEntries);
    }

    [Fact]
    public async Task A_failure_is_retried_with_the_same_message_id_and_no_call_comes_before_retry_after()
    {
        Answer = n => n == 1 ? (429, new Dictionary<string, string> { ["Retry-After"] = "7" }) : (200, []);
        await SubscribeAsync("/slow");
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();

        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"updateId={updateId}&status=sent")).Count == 1,
            "the delivery is sent after its retry", TimeSpan.FromSeconds(40));
        var calls = _receiver.LogEntries.OrderBy(e => e.RequestMessage.DateTime).ToList();
        Assert.Equal(2, calls.Count);
        Assert.True(calls[1].RequestMessage.DateTime - calls[0].RequestMessage.DateTime >= TimeSpan.FromSeconds(7),
            $"retried after {(calls[1].RequestMessage.DateTime - calls[0].RequestMessage.DateTime).TotalSeconds:F1} s");
        Assert.Equal(calls[0].RequestMessage.Headers!["webhook-id"].Single(), calls[1].RequestMessage.Headers!["webhook-id"].Single());
        Assert.Equal(2, (await Admin.AllDeliveriesAsync($"updateId={updateId}")).Single()["attempts"]!.GetValue<int>());
    }
}
