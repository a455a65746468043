using CommsHub.Testing;

namespace CommsHub.Tests.Api;

/// <summary>The real SendGrid SDK against a loopback fake: the exact request it sends.</summary>
public sealed class SendGridRequestTests : SqliteAppTest, IDisposable
{
    private readonly SendGridFake _sendGrid = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Email:SendGrid:ApiKey"] = "SG.test-key",
        ["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url,
        ["Channels:Email:From"] = "Acme Status <status@acme.example>",
        ["Channels:Email:BatchSize"] = "2",
    };

    public void Dispose() => _sendGrid.Dispose();

    [Fact]
    public async Task One_request_per_batch_with_one_personalization_per_recipient()
    {
        for (var i = 0; i < 5; i++)
        {
            await Admin.SubscribeAsync($"user{i}@example.com");
        }
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Playback outage", message = "We are investigating.", status = "identified" });
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();

        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"updateId={updateId}&status=sent")).Count == 5, "all 5 are sent");
        var requests = _sendGrid.Requests;
        Assert.Equal([2, 2, 1], requests.Select(r => r.Recipients.Count).Order().Reverse());
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"user{i}@example.com"), requests.SelectMany(r => r.Recipients).Order());
        Assert.All(requests, r =>
        {
            Assert.Equal("Bearer SG.test-key", r.Authorization);
            Assert.Equal("status@acme.example", r.FromEmail);
            Assert.Equal("Acme Status", r.FromName);
            Assert.Equal("[Acme Status] Playback outage — Identified", r.Subject);
            Assert.Contains("We are investigating.", r.Content("text/plain"));
            Assert.Contains("We are investigating.", r.Content("text/html"));
            Assert.Contains($"https://status.test/incidents/{incident["id"]}", r.Content("text/plain"));
            Assert.All(r.Body["personalizations"]!.AsArray(), p => Assert.Single(p!["to"]!.AsArray()));
        });

        // Each delivery records the message id SendGrid gave the request that carried it.
        var deliveries = await Admin.AllDeliveriesAsync($"updateId={updateId}");
        foreach (var request in requests)
        {
            foreach (var deliveryId in request.DeliveryIds)
            {
                var delivery = deliveries.Single(d => d["id"]!.GetValue<string>() == deliveryId);
                Assert.Equal(request.MessageId, delivery["providerMessageId"]!.GetValue<string>());
                Assert.Equal("sendgrid", delivery["provider"]!.GetValue<string>());
                Assert.Contains(delivery["recipient"]!.GetValue<string>(), request.Recipients);
            }
        }
    }

    [Fact]
    public async Task A_permanent_refusal_fails_the_batch_after_exactly_one_call()
    {
        _sendGrid.StatusFor = _ => 400;
        await Admin.SubscribeAsync("ann@example.com");
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();

        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"updateId={updateId}&status=failed")).Count == 1, "the delivery failed");
        var delivery = (await Admin.AllDeliveriesAsync($"updateId={updateId}")).Single();
        Assert.Contains("SendGrid answered 400", delivery["lastError"]!.GetValue<string>());
        Assert.Equal(1, delivery["attempts"]!.GetValue<int>());
        await Task.Delay(1500); // a retry, had there been one, comes after 200 ms and 1 s
        Assert.Single(_sendGrid.Requests);
    }

    [Fact]
    public async Task A_transient_failure_is_retried_and_then_sent_once()
    {
        _sendGrid.StatusFor = n => n == 1 ? 503 : 202;
        await Admin.SubscribeAsync("ann@example.com");
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();

        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"updateId={updateId}&status=sent")).Count == 1, "the delivery is sent");
        var delivery = (await Admin.AllDeliveriesAsync($"updateId={updateId}")).Single();
        Assert.Equal(2, delivery["attempts"]!.GetValue<int>());
        Assert.Null(delivery["lastError"]);
        Assert.Equal([503, 202], _sendGrid.Requests.Select(r => r.Status));
        Assert.Single(_sendGrid.Accepted);
    }
}
