using System.Net;
using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Common;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Webhooks;

/// <summary>Twilio's signed status callbacks for SMS the real SDK sent to a loopback Twilio.</summary>
public sealed class TwilioStatusCallbackTests : SqliteAppTest, IDisposable
{
    private const string CallbackUrl = "https://status.test/webhooks/twilio/status";
    private readonly TwilioFake _twilio = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Sms:Twilio:AccountSid"] = TwilioFake.AccountSid,
        ["Channels:Sms:Twilio:AuthToken"] = TwilioFake.AuthToken,
        ["Channels:Sms:Twilio:BaseUrl"] = _twilio.Url,
        ["Channels:Sms:From"] = "+15005550006",
        ["Channels:Sms:MessagesPerSecond"] = "50",
    };

    public void Dispose() => _twilio.Dispose();

    private sealed record Sent(string Id, string Sid);

    private async Task<List<Sent>> PublishToAsync(params string[] numbers)
    {
        foreach (var n in numbers)
        {
            await Admin.PostAsync("/api/subscribers", new { phone = n, confirmed = true });
        }
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Login errors", message = "We are investigating." });
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();
        List<JsonNode> sent = [];
        await Eventually.HoldsAsync(async () => (sent = await Admin.AllDeliveriesAsync($"updateId={updateId}&status=sent")).Count == numbers.Length,
            "every SMS is sent");
        return numbers.Select(n => sent.Single(d => d["recipient"]!.GetValue<string>() == n))
            .Select(d => new Sent(d["id"]!.GetValue<string>(), d["providerMessageId"]!.GetValue<string>())).ToList();
    }

    private async Task<HttpStatusCode> CallbackAsync(string sid, string status, string? errorCode = null, string? signature = null)
    {
        var form = new Dictionary<string, string>
        {
            ["AccountSid"] = TwilioFake.AccountSid,
            ["From"] = "+15005550006",
            ["To"] = "+12025550101",
            ["MessageSid"] = sid,
            ["SmsSid"] = sid,
            ["SmsStatus"] = status,
            ["MessageStatus"] = status,
            ["ApiVersion"] = "2010-04-01",
        };
        if (errorCode is not null)
        {
            form["ErrorCode"] = errorCode;
        }
        using var client = App.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/twilio/status") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", signature ?? TwilioSignature.Compute(TwilioFake.AuthToken, CallbackUrl, form));
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<JsonNode> DeliveryAsync(string id) =>
        (await Admin.AllDeliveriesAsync("channel=sms")).Single(d => d["id"]!.GetValue<string>() == id);

    private Task<List<AuditEntry>> AuditAsync() =>
        WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(a => a.Actor == "twilio").OrderBy(a => a.Id).ToListAsync());

    [Fact]
    public async Task Delivered_and_undelivered_callbacks_set_the_status_the_time_and_the_error_code()
    {
        var (ann, bob) = await PublishToAsync("+12025550101", "+12025550102") switch { var s => (s[0], s[1]) };

        Assert.Equal(HttpStatusCode.OK, await CallbackAsync(ann.Sid, "sent"));
        Assert.Equal(HttpStatusCode.OK, await CallbackAsync(ann.Sid, "delivered"));
        Assert.Equal(HttpStatusCode.OK, await CallbackAsync(bob.Sid, "undelivered", "30003"));

        var delivered = await DeliveryAsync(ann.Id);
        Assert.Equal("delivered", delivered["status"]!.GetValue<string>());
        Assert.True(delivered["deliveredAt"]!.GetValue<DateTimeOffset>() > DateTimeOffset.UtcNow.AddMinutes(-1));
        var failed = await DeliveryAsync(bob.Id);
        Assert.Equal("failed", failed["status"]!.GetValue<string>());
        Assert.Equal("Twilio 30003: Unreachable destination handset", failed["lastError"]!.GetValue<string>());

        var audit = await AuditAsync();
        Assert.Equal(["delivery.delivered", "delivery.failed"], audit.Select(a => a.Action)); // "sent" was no change
        Assert.Equal([ann.Id, bob.Id], audit.Select(a => a.Subject));
        Assert.Equal("30003", JsonNode.Parse(audit[1].Data)!["errorCode"]!.GetValue<string>());
        Assert.All(audit, a => Assert.DoesNotContain("+1202", a.Data));
    }

    [Fact]
    public async Task A_late_sent_never_overwrites_delivered_and_a_replay_changes_nothing()
    {
        var ann = (await PublishToAsync("+12025550101")).Single();

        await CallbackAsync(ann.Sid, "delivered");
        await CallbackAsync(ann.Sid, "sent");
        await CallbackAsync(ann.Sid, "queued");
        await CallbackAsync(ann.Sid, "delivered");

        Assert.Equal("delivered", (await DeliveryAsync(ann.Id))["status"]!.GetValue<string>());
        Assert.Single(await AuditAsync());
    }

    [Fact]
    public async Task A_forged_signature_is_403_and_changes_nothing()
    {
        var ann = (await PublishToAsync("+12025550101")).Single();
        var forged = TwilioSignature.Compute("ffffffffffffffffffffffffffffffff", CallbackUrl,
            new Dictionary<string, string> { ["MessageSid"] = ann.Sid, ["MessageStatus"] = "failed" });

        Assert.Equal(HttpStatusCode.Forbidden, await CallbackAsync(ann.Sid, "failed", "30007", signature: forged));
        Assert.Equal(HttpStatusCode.Forbidden, await CallbackAsync(ann.Sid, "failed", "30007", signature: ""));

        Assert.Equal("sent", (await DeliveryAsync(ann.Id))["status"]!.GetValue<string>());
        Assert.Empty(await AuditAsync());
        Assert.Equal(0, await WithDbAsync(db => db.InboundMessages.CountAsync(m => m.Provider == "twilio-status")));
    }

    [Fact]
    public async Task A_callback_for_a_message_we_do_not_know_is_accepted_and_ignored()
    {
        Assert.Equal(HttpStatusCode.OK, await CallbackAsync("SM" + new string('0', 32), "delivered"));
        Assert.Empty(await AuditAsync());
        Assert.Equal(0, await WithDbAsync(db => db.Deliveries.CountAsync(d => d.Status == DeliveryStatus.Delivered)));
    }
}
