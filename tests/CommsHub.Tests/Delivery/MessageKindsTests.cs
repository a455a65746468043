using System.Net;
using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Delivery;

/// <summary>Every message is a delivery with its kind: confirmations and maintenance notices included, through the real SendGrid SDK.</summary>
public sealed class MessageKindsTests : SqliteAppTest, IDisposable
{
    private readonly SendGridFake _sendGrid = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Email:SendGrid:ApiKey"] = "SG.test-key",
        ["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url,
        ["Channels:Email:From"] = "Acme Status <status@acme.example>",
    };

    public void Dispose() => _sendGrid.Dispose();

    private async Task<JsonArray> DeliveriesAsync(string query, int atLeast)
    {
        JsonArray items = [];
        await Eventually.HoldsAsync(async () =>
        {
            items = (await Admin.GetJsonAsync("/api/deliveries?" + query))["items"]!.AsArray();
            return items.Count >= atLeast && items.All(i => i!["status"]!.GetValue<string>() != "queued");
        }, $"{atLeast} settled deliveries for {query}");
        return items;
    }

    [Fact]
    public async Task A_confirmation_is_a_delivery_of_its_own_kind_listed_recorded_and_audited()
    {
        using var anonymous = App.CreateClient();
        await anonymous.PostAsync("/api/public/subscriptions", new { email = "viewer@example.com" }, HttpStatusCode.Accepted);

        var confirmation = Assert.Single(await DeliveriesAsync("kind=confirmation", 1))!;
        Assert.Equal("confirmation", confirmation["kind"]!.GetValue<string>());
        Assert.Equal("viewer@example.com", confirmation["recipient"]!.GetValue<string>());
        Assert.Equal("sent", confirmation["status"]!.GetValue<string>());
        Assert.Equal(1, confirmation["attempts"]!.GetValue<int>());
        var subscriberId = await WithDbAsync(db => db.Subscribers.Where(s => s.Address == "viewer@example.com").Select(s => s.Id).SingleAsync());
        Assert.Equal(subscriberId.ToString(), confirmation["subscriberId"]!.GetValue<string>());

        // The SDK's request names the delivery, so SendGrid's events for it come back to this row.
        var mail = Assert.Single(_sendGrid.Accepted);
        Assert.StartsWith("Confirm", mail.Subject);
        Assert.Equal([confirmation["id"]!.GetValue<string>()], mail.DeliveryIds);
        Assert.Contains("/subscriptions/confirm?token=", mail.Content("text/plain"));

        var id = confirmation["id"]!.GetValue<string>();
        Assert.True(await WithDbAsync(db => db.AuditEntries.AnyAsync(e => e.Action == "delivery.sent" && e.Subject == id)));
        // The stored message is sealed: the link that confirms is not readable in the database.
        var stored = await WithDbAsync(db => db.Messages.SingleAsync());
        Assert.Equal(DeliveryKind.Confirmation, stored.Kind);
        Assert.DoesNotContain("token=", stored.SealedContent);
        Assert.Empty((await Admin.GetJsonAsync("/api/deliveries?kind=incident_update"))["items"]!.AsArray());
    }

    [Fact]
    public async Task A_confirmation_the_provider_refuses_for_now_is_retried_by_the_pipeline()
    {
        _sendGrid.StatusFor = n => n == 1 ? 503 : 202;
        using var anonymous = App.CreateClient();
        await anonymous.PostAsync("/api/public/subscriptions", new { email = "viewer@example.com" }, HttpStatusCode.Accepted);

        var confirmation = Assert.Single(await DeliveriesAsync("kind=confirmation", 1))!;
        Assert.Equal("sent", confirmation["status"]!.GetValue<string>());
        Assert.Equal(2, confirmation["attempts"]!.GetValue<int>());
        Assert.Equal([503, 202], _sendGrid.Requests.Select(r => r.Status));
        var detail = await Admin.GetJsonAsync($"/api/deliveries/{confirmation["id"]!.GetValue<string>()}");
        Assert.Equal(["queued", "sent"], detail["attemptLog"]!.AsArray().Select(a => a!["outcome"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_maintenance_notice_is_of_kind_maintenance_and_an_incident_update_of_kind_incident_update()
    {
        await Admin.SubscribeAsync("reader@example.com");
        var component = await Admin.CreateComponentAsync("Database");
        var start = DateTimeOffset.UtcNow.AddDays(1);
        await Admin.PostAsync("/api/maintenances", new
        {
            title = "Database upgrade", message = "Read-only for an hour.", components = new[] { component },
            scheduledFor = start, scheduledUntil = start.AddHours(1),
        });
        await Admin.PostAsync("/api/incidents", new { title = "Search is slow", message = "Looking into it." });

        var maintenance = Assert.Single(await DeliveriesAsync("kind=maintenance", 1))!;
        Assert.Equal("reader@example.com", maintenance["recipient"]!.GetValue<string>());
        var update = Assert.Single(await DeliveriesAsync("kind=incident_update", 1))!;
        Assert.Equal("incident_update", update["kind"]!.GetValue<string>());
        Assert.NotEqual(maintenance["incidentId"]!.GetValue<string>(), update["incidentId"]!.GetValue<string>());
        Assert.Contains("kind", (await Admin.GetStringAsync("/api/deliveries/export.csv?kind=maintenance")).Split("\r\n")[0].Split(','));
    }
}
