using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Subscribers;

public sealed class ImportAndErasureTests : SqliteAppTest
{
    private async Task<JsonNode> ImportAsync(string csv, HttpStatusCode expected = HttpStatusCode.OK, string contentType = "text/csv")
    {
        using var content = new StringContent(csv, Encoding.UTF8, contentType);
        using var response = await Admin.PostAsync("/api/subscribers/import", content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    [Fact]
    public async Task Import_keeps_good_lines_reports_bad_ones_and_is_idempotent()
    {
        var streaming = await Admin.CreateComponentAsync("Streaming");
        var billing = await Admin.CreateComponentAsync("Billing");
        var csv = $"""
            email,phone,webhookUrl,components
            Ann@Example.com,,,
            ,+44 20 7946 0958,,{streaming};{billing}
            bob@example.com,,,{streaming}
            not-an-email,,,
            carol@example.com,+12025550173,,
            dave@example.com,,,{Guid.CreateVersion7()}
            ,,https://10.0.0.1/hook,
            """;
        var result = await ImportAsync(csv);
        Assert.Equal(3, result["imported"]!.GetValue<int>());
        Assert.Equal(0, result["updated"]!.GetValue<int>());
        var rejected = result["rejected"]!.AsArray().Select(r => r!["line"]!.GetValue<int>()).ToList();
        Assert.Equal([5, 6, 7, 8], rejected);
        Assert.Contains("not a valid email", result["rejected"]![0]!["error"]!.GetValue<string>());

        var subscribers = await WithDbAsync(db => db.Subscribers.Include(s => s.Components).AsNoTracking().ToListAsync());
        Assert.All(subscribers, s => Assert.Equal(SubscriberStatus.Confirmed, s.Status));
        Assert.Equal(["+442079460958", "ann@example.com", "bob@example.com"], subscribers.Select(s => s.Address).Order(StringComparer.Ordinal));
        Assert.Equal(2, subscribers.Single(s => s.Channel == Channel.Sms).Components.Count);

        // The same file again changes nothing; a changed component list is an update.
        var again = await ImportAsync(csv);
        Assert.Equal(0, again["imported"]!.GetValue<int>());
        Assert.Equal(3, again["unchanged"]!.GetValue<int>());
        var changed = await ImportAsync($"email,components\nbob@example.com,{billing}\n");
        Assert.Equal(1, changed["updated"]!.GetValue<int>());
        Assert.Equal(3, await WithDbAsync(db => db.Subscribers.CountAsync()));
    }

    [Fact]
    public async Task Import_never_resubscribes_someone_who_left()
    {
        var id = await Admin.SubscribeAsync("gone@example.com");
        await WithDbAsync(db => db.Subscribers.Where(s => s.Id == Guid.Parse(id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SubscriberStatus.Unsubscribed)));
        var result = await ImportAsync("email\ngone@example.com\n");
        Assert.Equal(0, result["imported"]!.GetValue<int>() + result["updated"]!.GetValue<int>());
        Assert.Contains("unsubscribed", result["rejected"]![0]!["error"]!.GetValue<string>());
        Assert.Equal(SubscriberStatus.Unsubscribed, await WithDbAsync(db => db.Subscribers.Select(s => s.Status).SingleAsync()));
    }

    [Fact]
    public async Task Import_refuses_what_is_not_a_csv_with_a_known_header()
    {
        await ImportAsync("email\na@example.com\n", HttpStatusCode.UnsupportedMediaType, "application/json");
        await ImportAsync("", HttpStatusCode.BadRequest);
        var problem = await ImportAsync("name,age\nann,3\n", HttpStatusCode.BadRequest);
        Assert.Contains("header row", problem["errors"]!["$"]![0]!.GetValue<string>());
        Assert.Equal(0, await WithDbAsync(db => db.Subscribers.CountAsync()));
    }

    [Fact]
    public async Task Erasure_removes_personal_data_and_keeps_the_delivery_record_with_a_keyed_hash()
    {
        var id = await Admin.SubscribeAsync("ann@example.com");
        await Admin.SubscribeAsync("bob@example.com");
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();
        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"updateId={updateId}&status=sandboxed")).Count == 2, "both deliveries settle");

        using (var response = await Admin.DeleteAsync($"/api/subscribers/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
        await Admin.GetJsonAsync($"/api/subscribers/{id}", HttpStatusCode.NotFound);
        using (var again = await Admin.DeleteAsync($"/api/subscribers/{id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        }

        var deliveries = await Admin.AllDeliveriesAsync($"updateId={updateId}");
        Assert.Equal(2, deliveries.Count);
        var erased = deliveries.Single(d => d["subscriberId"]!.GetValue<string>() == id)["recipient"]!.GetValue<string>();
        Assert.Matches("^erased:[0-9a-f]{64}$", erased);
        Assert.Equal(0, await WithDbAsync(db => db.Deliveries.CountAsync(d => d.Recipient.Contains("ann"))));
        Assert.Equal(0, await WithDbAsync(db => db.Subscribers.CountAsync(s => s.Address.Contains("ann"))));
        // A confirmed subscriber did not opt out: erasure leaves no suppression, so they may come back.
        Assert.Equal(0, await WithDbAsync(db => db.Suppressions.CountAsync()));
        await Admin.SubscribeAsync("ann@example.com");
    }
}

/// <summary>Webhook subscribers by CSV, with loopback receivers (no DNS here).</summary>
public sealed class WebhookImportTests : SqliteAppTest
{
    protected override Dictionary<string, string?> Settings() => new() { ["Webhooks:AllowPrivateTargets"] = "true" };

    private async Task<JsonNode> ImportAsync(string csv)
    {
        using var content = new StringContent(csv, Encoding.UTF8, "text/csv");
        using var response = await Admin.PostAsync("/api/subscribers/import", content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    [Fact]
    public async Task Imported_webhook_subscribers_get_a_signing_secret_shown_once_in_the_answer()
    {
        var result = await ImportAsync("webhookUrl\nhttp://127.0.0.1:9/a\nhttp://127.0.0.1:9/b\n");
        Assert.Equal(2, result["imported"]!.GetValue<int>());
        var secrets = result["secrets"]!.AsArray();
        Assert.Equal(2, secrets.Count);
        Assert.Equal([2, 3], secrets.Select(s => s!["line"]!.GetValue<int>()));
        foreach (var entry in secrets)
        {
            var id = Guid.Parse(entry!["id"]!.GetValue<string>());
            var secret = entry["secret"]!.GetValue<string>();
            Assert.StartsWith("whsec_", secret);
            // The stored secret is the one shown: deliveries to this subscriber are signed with it.
            var stored = await WithDbAsync(db => db.Subscribers.AsNoTracking().FirstAsync(s => s.Id == id));
            Assert.Equal(secret, App.Services.GetRequiredService<CommsHub.Core.Subscribers.SubscriberSecrets>().Reveal(stored));
        }
        // Importing the same file again shows nothing: the secrets were shown once.
        var again = await ImportAsync("webhookUrl\nhttp://127.0.0.1:9/a\nhttp://127.0.0.1:9/b\n");
        Assert.Empty(again["secrets"]!.AsArray());
        Assert.Equal(2, again["unchanged"]!.GetValue<int>());
    }
}
