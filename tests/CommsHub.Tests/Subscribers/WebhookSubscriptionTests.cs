using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace CommsHub.Tests.Subscribers;

/// <summary>Webhook subscriptions with private targets allowed, as in a closed network: a loopback receiver.</summary>
public sealed class WebhookSubscriptionTests : SqliteAppTest, IDisposable
{
    private readonly WireMockServer _receiver = WireMockServer.Start();

    public WebhookSubscriptionTests() =>
        _receiver.Given(Request.Create().WithPath("/hooks").UsingPost()).RespondWith(Response.Create().WithStatusCode(204));

    protected override Dictionary<string, string?> Settings() => new() { ["Webhooks:AllowPrivateTargets"] = "true" };

    public void Dispose() => _receiver.Stop();

    [Fact]
    public async Task A_webhook_subscription_returns_its_secret_once_and_confirms_through_a_signed_event()
    {
        using var anonymous = App.CreateClient();
        var url = _receiver.Url + "/hooks";
        var accepted = await anonymous.PostAsync("/api/public/subscriptions", new { webhookUrl = url }, HttpStatusCode.Accepted);
        var secret = accepted["secret"]!.GetValue<string>();
        Assert.StartsWith("whsec_", secret);
        Assert.Equal(24, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        Assert.DoesNotContain(secret, await WithDbAsync(db => db.Subscribers.Select(s => s.ProtectedSecret!).SingleAsync()));

        await Eventually.HoldsAsync(() => Task.FromResult(_receiver.LogEntries.Any()), "the confirmation event arrives");
        var request = _receiver.LogEntries.Single().RequestMessage;
        var body = request.Body!;
        var id = request.Headers!["webhook-id"].Single();
        var timestamp = request.Headers["webhook-timestamp"].Single();
        var signature = request.Headers["webhook-signature"].Single();
        using (var hmac = new HMACSHA256(Convert.FromBase64String(secret["whsec_".Length..])))
        {
            var expected = "v1," + Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));
            Assert.Equal(expected, signature);
        }
        var json = JsonNode.Parse(body)!;
        Assert.Equal("subscription.confirmation", json["type"]!.GetValue<string>());
        var confirmUrl = json["confirm_url"]!.GetValue<string>();
        Assert.StartsWith("https://status.test/subscriptions/confirm?token=", confirmUrl);

        using var confirmed = await anonymous.GetAsync(confirmUrl["https://status.test".Length..]);
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        Assert.Equal(SubscriberStatus.Confirmed, await WithDbAsync(db => db.Subscribers.Select(s => s.Status).SingleAsync()));
    }

    [Fact]
    public async Task An_admin_import_of_a_webhook_returns_the_secret()
    {
        var created = await Admin.PostAsync("/api/subscribers", new { webhookUrl = _receiver.Url + "/hooks", confirmed = true });
        Assert.Equal("webhook", created["channel"]!.GetValue<string>());
        Assert.StartsWith("whsec_", created["secret"]!.GetValue<string>());
        var listed = await Admin.GetJsonAsync($"/api/subscribers/{created["id"]}");
        Assert.Null(listed["secret"]);
    }
}

/// <summary>With the default policy, subscriber URLs that point inside the network are refused.</summary>
public sealed class WebhookTargetRefusalTests : SqliteAppTest
{
    [Theory]
    [InlineData("http://example.com/hook", "https")]
    [InlineData("https://127.0.0.1/hook", "127.0.0.1")]
    [InlineData("https://10.1.2.3/hook", "private")]
    [InlineData("https://169.254.169.254/latest/meta-data", "169.254.169.254")]
    [InlineData("https://[::ffff:192.168.1.1]/hook", "private")]
    [InlineData("https://2130706433/hook", "127.0.0.1")]
    [InlineData("https://localhost/hook", "localhost")]
    public async Task Private_and_plain_http_targets_are_refused_and_nothing_is_stored(string url, string mentioned)
    {
        using var anonymous = App.CreateClient();
        var problem = await anonymous.PostAsync("/api/public/subscriptions", new { webhookUrl = url }, HttpStatusCode.BadRequest);
        Assert.Contains(mentioned, problem["errors"]!["webhookUrl"]![0]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        await Admin.PostAsync("/api/subscribers", new { webhookUrl = url, confirmed = true }, HttpStatusCode.BadRequest);
        Assert.Equal(0, await WithDbAsync(db => db.Subscribers.CountAsync()));
    }
}
