using System.Net;
using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Common;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using static CommsHub.Tests.Webhooks.SendGridEventSigner;

namespace CommsHub.Tests.Webhooks;

/// <summary>
/// SendGrid's signed Event Webhook against deliveries the real SDK sent to a loopback SendGrid:
/// events match by the delivery_id custom arg (or message id + address), status only moves forward,
/// each event applies once, and every change leaves one audit entry naming people only by id.
/// </summary>
public sealed class SendGridEventWebhookTests : SqliteAppTest, IDisposable
{
    private readonly SendGridFake _sendGrid = new();
    private readonly SendGridEventSigner _signer = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Email:SendGrid:ApiKey"] = "SG.test-key",
        ["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url,
        ["Channels:Email:SendGrid:EventWebhookPublicKey"] = _signer.PublicKey,
        ["Channels:Email:From"] = "Acme Status <status@acme.example>",
    };

    public void Dispose()
    {
        _sendGrid.Dispose();
        _signer.Dispose();
    }

    private sealed record Sent(string Id, string SubscriberId, string Email, string MessageId);

    /// <summary>Subscribes the addresses, publishes an incident and waits until SendGrid accepted every email.</summary>
    private async Task<List<Sent>> PublishToAsync(params string[] emails)
    {
        var ids = new Dictionary<string, string>();
        foreach (var email in emails)
        {
            ids[email] = await Admin.SubscribeAsync(email);
        }
        var updateId = await PublishAsync();
        List<JsonNode> sent = [];
        await Eventually.HoldsAsync(async () => (sent = await Admin.AllDeliveriesAsync($"updateId={updateId}&status=sent")).Count == emails.Length,
            "every email is sent");
        return sent.Select(d => new Sent(d["id"]!.GetValue<string>(), d["subscriberId"]!.GetValue<string>(), d["recipient"]!.GetValue<string>(),
            d["providerMessageId"]!.GetValue<string>())).OrderBy(s => Array.IndexOf(emails, s.Email)).ToList();
    }

    private async Task<string> PublishAsync()
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Login errors", message = "We are investigating." });
        return incident["updates"]![0]!["id"]!.GetValue<string>();
    }

    private async Task<JsonNode> DeliveryAsync(string id) =>
        (await Admin.AllDeliveriesAsync("channel=email")).Single(d => d["id"]!.GetValue<string>() == id);

    private Task<DeliveryStatus> StatusAsync(string id) =>
        WithDbAsync(db => db.Deliveries.Where(d => d.Id == Guid.Parse(id)).Select(d => d.Status).SingleAsync());

    private Task<SubscriberStatus> SubscriberStatusAsync(string id) =>
        WithDbAsync(db => db.Subscribers.Where(s => s.Id == Guid.Parse(id)).Select(s => s.Status).SingleAsync());

    private Task<List<AuditEntry>> AuditAsync() =>
        WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(a => a.Actor == "sendgrid").OrderBy(a => a.Id).ToListAsync());

    private async Task PostOkAsync(params JsonObject[] events)
    {
        using var client = App.CreateClient();
        var (status, body) = await _signer.PostAsync(client, events);
        Assert.True(status == HttpStatusCode.OK, $"answered {(int)status}: {body}");
    }

    [Fact]
    public async Task A_delivered_event_marks_the_delivery_delivered_and_audits_it_by_id_only()
    {
        var ann = (await PublishToAsync("ann@example.com")).Single();

        await PostOkAsync(Event("processed", ann.Id, ann.Email, ann.MessageId), Event("delivered", ann.Id, ann.Email, ann.MessageId));

        var delivery = await DeliveryAsync(ann.Id);
        Assert.Equal("delivered", delivery["status"]!.GetValue<string>());
        Assert.True(delivery["deliveredAt"]!.GetValue<DateTimeOffset>() > DateTimeOffset.UtcNow.AddMinutes(-1));
        var entry = Assert.Single(await AuditAsync());
        Assert.Equal("delivery.delivered", entry.Action);
        Assert.Equal(ann.Id, entry.Subject);
        var data = JsonNode.Parse(entry.Data)!;
        Assert.Equal(ann.Id, data["deliveryId"]!.GetValue<string>());
        Assert.Equal(ann.SubscriberId, data["subscriberId"]!.GetValue<string>());
        Assert.Equal("delivered", data["status"]!.GetValue<string>());
        Assert.DoesNotContain("@", entry.Data);
    }

    [Fact]
    public async Task A_forged_or_missing_signature_is_403_and_changes_nothing()
    {
        var ann = (await PublishToAsync("ann@example.com")).Single();
        var payload = new JsonArray(Event("delivered", ann.Id, ann.Email, ann.MessageId)).ToJsonString();
        using var client = App.CreateClient();
        using var stranger = new SendGridEventSigner();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(HttpStatusCode.Forbidden, (await _signer.PostAsync(client, payload, signature: stranger.Sign(now, payload))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await _signer.PostAsync(client, payload, signature: _signer.Sign(now, payload.Replace("ann", "bob")))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await _signer.PostAsync(client, payload, signature: "")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await _signer.PostAsync(client, payload, signature: "bm90IGEgc2lnbmF0dXJl")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await _signer.PostAsync(client, payload, signature: "%%%")).Status);

        Assert.Equal(DeliveryStatus.Sent, await StatusAsync(ann.Id));
        Assert.Empty(await AuditAsync());
        Assert.Equal(0, await WithDbAsync(db => db.InboundMessages.CountAsync()));
    }

    [Theory]
    [InlineData(-6)]
    [InlineData(6)]
    public async Task A_timestamp_outside_five_minutes_is_403_even_when_signed(int minutes)
    {
        var ann = (await PublishToAsync("ann@example.com")).Single();
        using var client = App.CreateClient();
        var payload = new JsonArray(Event("delivered", ann.Id, ann.Email, ann.MessageId)).ToJsonString();

        var (status, body) = await _signer.PostAsync(client, payload, DateTimeOffset.UtcNow.AddMinutes(minutes));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("timestamp", body);
        Assert.Equal(DeliveryStatus.Sent, await StatusAsync(ann.Id));
        Assert.Equal(HttpStatusCode.OK, (await _signer.PostAsync(client, payload, DateTimeOffset.UtcNow.AddMinutes(-4))).Status);
    }

    [Fact]
    public async Task The_same_event_posted_again_or_twice_in_a_batch_has_one_effect()
    {
        var ann = (await PublishToAsync("ann@example.com")).Single();
        var delivered = Event("delivered", ann.Id, ann.Email, ann.MessageId, eventId: "evt-delivered-1");
        var spam = Event("spamreport", ann.Id, ann.Email, ann.MessageId, eventId: "evt-spam-1");

        await PostOkAsync(delivered, delivered, spam);
        await PostOkAsync(delivered, spam);

        var audit = await AuditAsync();
        Assert.Equal(["delivery.delivered", "subscriber.suppressed"], audit.Select(a => a.Action));
        Assert.Equal(2, await WithDbAsync(db => db.InboundMessages.CountAsync(m => m.Provider == "sendgrid-event")));
    }

    [Fact]
    public async Task A_late_event_never_moves_a_delivery_back()
    {
        var (ann, bob) = await PublishToAsync("ann@example.com", "bob@example.com") switch { var s => (s[0], s[1]) };

        await PostOkAsync(Event("delivered", ann.Id, ann.Email, ann.MessageId));
        await PostOkAsync(Event("processed", ann.Id, ann.Email, ann.MessageId), Event("deferred", ann.Id, ann.Email, ann.MessageId));
        Assert.Equal(DeliveryStatus.Delivered, await StatusAsync(ann.Id));

        // Within one batch too: a bounce reported before the delivery (by timestamp) stays the last word.
        var now = DateTimeOffset.UtcNow;
        await PostOkAsync(
            Event("delivered", bob.Id, bob.Email, bob.MessageId, at: now),
            Event("bounce", bob.Id, bob.Email, bob.MessageId, at: now.AddSeconds(-5), extra: new() { ["type"] = "bounce", ["status"] = "5.1.1" }));
        Assert.Equal(DeliveryStatus.Bounced, await StatusAsync(bob.Id));
        await PostOkAsync(Event("delivered", bob.Id, bob.Email, bob.MessageId));
        Assert.Equal(DeliveryStatus.Bounced, await StatusAsync(bob.Id));

        Assert.Equal(["delivery.delivered", "delivery.bounced", "subscriber.suppressed"], (await AuditAsync()).Select(a => a.Action));
    }

    [Fact]
    public async Task Competing_posts_at_once_apply_each_change_once()
    {
        var sent = await PublishToAsync([.. Enumerable.Range(0, 20).Select(i => $"user{i}@example.com")]);
        var delivered = sent.Select(d => Event("delivered", d.Id, d.Email, d.MessageId, at: DateTimeOffset.UtcNow.AddSeconds(-30))).ToArray();
        var bounces = sent.Select(d => Event("bounce", d.Id, d.Email, d.MessageId, extra: new() { ["type"] = "bounce" })).ToArray();

        await Task.WhenAll(PostOkAsync(bounces), PostOkAsync(delivered), PostOkAsync(bounces), PostOkAsync([.. bounces.Reverse().Take(12)]));

        Assert.Equal(20, await WithDbAsync(db => db.Deliveries.CountAsync(d => d.Status == DeliveryStatus.Bounced)));
        var audit = await AuditAsync();
        Assert.Equal(20, audit.Count(a => a.Action == "delivery.bounced"));
        Assert.Equal(20, audit.Count(a => a.Action == "subscriber.suppressed"));
        Assert.True(audit.Count(a => a.Action == "delivery.delivered") <= 20);
        Assert.Equal(audit.Count, audit.Select(a => (a.Action, a.Subject)).Distinct().Count());
    }

    [Fact]
    public async Task A_bounce_suppresses_the_address_so_the_next_update_does_not_plan_it()
    {
        var (ann, bob) = await PublishToAsync("ann@example.com", "bob@example.com") switch { var s => (s[0], s[1]) };

        await PostOkAsync(Event("bounce", ann.Id, ann.Email, ann.MessageId,
            extra: new() { ["type"] = "bounce", ["status"] = "5.1.1", ["bounce_classification"] = "Invalid Address",
                ["reason"] = "550 5.1.1 <ann@example.com>: Recipient address rejected: User unknown" }));

        var delivery = await DeliveryAsync(ann.Id);
        Assert.Equal("bounced", delivery["status"]!.GetValue<string>());
        Assert.Equal("SendGrid bounce 5.1.1 (Invalid Address)", delivery["lastError"]!.GetValue<string>());
        Assert.Equal(SubscriberStatus.Suppressed, await SubscriberStatusAsync(ann.SubscriberId));
        var audit = await AuditAsync();
        Assert.Equal(["delivery.bounced", "subscriber.suppressed"], audit.Select(a => a.Action));
        Assert.Equal(ann.SubscriberId, audit[1].Subject);
        Assert.All(audit, a => Assert.DoesNotContain("@", a.Data));

        var next = await PublishAsync();
        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"updateId={next}&status=sent")).Count == 1, "bob's email is sent");
        var planned = await Admin.AllDeliveriesAsync($"updateId={next}");
        Assert.Equal([bob.SubscriberId], planned.Select(d => d["subscriberId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_block_or_a_drop_for_our_own_reasons_bounces_the_delivery_but_keeps_the_subscriber()
    {
        var (ann, bob) = await PublishToAsync("ann@example.com", "bob@example.com") switch { var s => (s[0], s[1]) };

        await PostOkAsync(
            Event("bounce", ann.Id, ann.Email, ann.MessageId, extra: new() { ["type"] = "blocked", ["status"] = "4.7.1" }),
            Event("dropped", bob.Id, bob.Email, bob.MessageId, extra: new() { ["reason"] = "Invalid SMTPAPI header" }));

        Assert.Equal(DeliveryStatus.Bounced, await StatusAsync(ann.Id));
        Assert.Equal(DeliveryStatus.Bounced, await StatusAsync(bob.Id));
        Assert.Equal("SendGrid dropped the message: Invalid SMTPAPI header", (await DeliveryAsync(bob.Id))["lastError"]!.GetValue<string>());
        Assert.Equal(SubscriberStatus.Confirmed, await SubscriberStatusAsync(ann.SubscriberId));
        Assert.Equal(SubscriberStatus.Confirmed, await SubscriberStatusAsync(bob.SubscriberId));
    }

    [Fact]
    public async Task Spam_reports_suppress_and_unsubscribes_unsubscribe_the_subscriber()
    {
        var sent = await PublishToAsync("ann@example.com", "bob@example.com", "cat@example.com", "dan@example.com");
        var (ann, bob, cat, dan) = (sent[0], sent[1], sent[2], sent[3]);

        await PostOkAsync(
            Event("spamreport", ann.Id, ann.Email, ann.MessageId),
            Event("unsubscribe", bob.Id, bob.Email, bob.MessageId),
            Event("group_unsubscribe", cat.Id, cat.Email, cat.MessageId, extra: new() { ["asm_group_id"] = 42 }),
            Event("dropped", dan.Id, dan.Email, dan.MessageId, extra: new() { ["reason"] = "Bounced Address" }));

        Assert.Equal(SubscriberStatus.Suppressed, await SubscriberStatusAsync(ann.SubscriberId));
        Assert.Equal(SubscriberStatus.Unsubscribed, await SubscriberStatusAsync(bob.SubscriberId));
        Assert.Equal(SubscriberStatus.Unsubscribed, await SubscriberStatusAsync(cat.SubscriberId));
        Assert.Equal(SubscriberStatus.Suppressed, await SubscriberStatusAsync(dan.SubscriberId));
        Assert.Equal(DeliveryStatus.Sent, await StatusAsync(ann.Id)); // a spam report is no statement about delivery
        var audit = await AuditAsync();
        Assert.Equal(2, audit.Count(a => a.Action == "subscriber.unsubscribed"));
        Assert.Equal(2, audit.Count(a => a.Action == "subscriber.suppressed"));
        Assert.Single(audit, a => a.Action == "delivery.bounced");

        // An unsubscribe after a suppression changes nothing more.
        await PostOkAsync(Event("unsubscribe", ann.Id, ann.Email, ann.MessageId));
        Assert.Equal(SubscriberStatus.Suppressed, await SubscriberStatusAsync(ann.SubscriberId));
        Assert.Equal(audit.Count, (await AuditAsync()).Count);
    }

    [Fact]
    public async Task Without_a_delivery_id_the_message_id_and_address_find_the_delivery()
    {
        var (ann, bob) = await PublishToAsync("ann@example.com", "bob@example.com") switch { var s => (s[0], s[1]) };
        Assert.Equal(ann.MessageId, bob.MessageId); // one request, one X-Message-Id for both

        await PostOkAsync(Event("delivered", null, "Bob@Example.com", bob.MessageId));

        Assert.Equal(DeliveryStatus.Delivered, await StatusAsync(bob.Id));
        Assert.Equal(DeliveryStatus.Sent, await StatusAsync(ann.Id));
    }

    [Fact]
    public async Task Events_for_unknown_deliveries_and_ignored_kinds_are_accepted_and_change_nothing()
    {
        var ann = (await PublishToAsync("ann@example.com")).Single();

        await PostOkAsync(
            Event("delivered", Guid.NewGuid().ToString(), "zed@example.com", "other-message"),
            Event("delivered", null, "zed@example.com", ann.MessageId),
            Event("open", ann.Id, ann.Email, ann.MessageId),
            Event("click", ann.Id, ann.Email, ann.MessageId));

        Assert.Equal(DeliveryStatus.Sent, await StatusAsync(ann.Id));
        Assert.Empty(await AuditAsync());
    }

    [Fact]
    public async Task A_signed_body_that_is_not_an_event_array_is_400()
    {
        using var client = App.CreateClient();
        Assert.Equal(HttpStatusCode.BadRequest, (await _signer.PostAsync(client, """{"event":"delivered"}""")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await _signer.PostAsync(client, "not json")).Status);
        Assert.Equal(HttpStatusCode.OK, (await _signer.PostAsync(client, "[]")).Status);
    }
}
