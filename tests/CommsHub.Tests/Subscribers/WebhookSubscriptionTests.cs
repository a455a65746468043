using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Core.Subscribers;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace CommsHub.Tests.Subscribers;

/// <summary>
/// Webhook subscriptions with private targets allowed, as in a closed network: a loopback receiver. No wait
/// between repeated requests, so an attacker's repeat really goes out and the tests see what it carries.
/// </summary>
public sealed class WebhookSubscriptionTests : SqliteAppTest, IDisposable
{
    private readonly WireMockServer _receiver = WireMockServer.Start();

    public WebhookSubscriptionTests() =>
        _receiver.Given(Request.Create().WithPath("/hooks").UsingPost()).RespondWith(Response.Create().WithStatusCode(204));

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Webhooks:AllowPrivateTargets"] = "true",
        ["Subscriptions:ConfirmationResendAfter"] = "00:00:00",
        ["Subscriptions:MaxConfirmationsPerDay"] = "10",
    };

    public void Dispose() => _receiver.Stop();

    private string Url => _receiver.Url + "/hooks";

    private List<ILogEntry> Events(string type) =>
        _receiver.LogEntries.Where(e => JsonNode.Parse(e.RequestMessage.Body!)!["type"]?.GetValue<string>() == type).ToList();

    private List<ILogEntry> IncidentEvents() =>
        _receiver.LogEntries.Where(e => JsonNode.Parse(e.RequestMessage.Body!)!["incident"] is not null).ToList();

    private async Task<ILogEntry> ConfirmationEventAsync(int number)
    {
        await Eventually.HoldsAsync(() => Task.FromResult(Events("subscription.confirmation").Count >= number), $"confirmation event {number} arrives");
        return Events("subscription.confirmation")[number - 1];
    }

    private static string ConfirmPath(ILogEntry confirmation) =>
        JsonNode.Parse(confirmation.RequestMessage.Body!)!["confirm_url"]!.GetValue<string>()["https://status.test".Length..];

    /// <summary>The secret CommsHub signs with, as stored (encrypted) for the subscriber.</summary>
    private async Task<string> StoredSecretAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        var subscriber = await scope.ServiceProvider.GetRequiredService<Core.Data.CommsHubDbContext>().Subscribers.AsNoTracking().SingleAsync(s => s.Address == Url);
        return scope.ServiceProvider.GetRequiredService<SubscriberSecrets>().Reveal(subscriber)!;
    }

    private Task<SubscriberStatus> StatusAsync() => WithDbAsync(db => db.Subscribers.Where(s => s.Address == Url).Select(s => s.Status).SingleAsync());

    private static void AssertSignedWith(ILogEntry entry, string secret)
    {
        var request = entry.RequestMessage;
        var id = request.Headers!["webhook-id"].Single();
        var timestamp = request.Headers["webhook-timestamp"].Single();
        using var hmac = new HMACSHA256(Convert.FromBase64String(secret["whsec_".Length..]));
        var expected = "v1," + Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes($"{id}.{timestamp}.{request.Body}")));
        Assert.Equal(expected, request.Headers["webhook-signature"].Single());
    }

    private async Task DrainedAsync() =>
        await Eventually.HoldsAsync(() => WithDbAsync(db => db.OutboxMessages.AllAsync(m => m.PublishedAt != null)), "the outbox is drained");

    [Fact]
    public async Task A_webhook_subscribes_confirms_through_an_event_signed_with_its_own_secret_and_leaves()
    {
        using var anonymous = App.CreateClient();
        var accepted = await anonymous.PostAsync("/api/public/subscriptions", new { webhookUrl = Url }, HttpStatusCode.Accepted);
        Assert.Equal("pending", accepted["status"]!.GetValue<string>());
        Assert.Null(accepted["secret"]);

        var confirmation = await ConfirmationEventAsync(1);
        var secret = await StoredSecretAsync();
        Assert.StartsWith("whsec_", secret);
        Assert.Equal(24, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        Assert.DoesNotContain(secret, await WithDbAsync(db => db.Subscribers.Select(s => s.ProtectedSecret!).SingleAsync()));
        AssertSignedWith(confirmation, secret);
        Assert.StartsWith("https://status.test/subscriptions/confirm?token=",
            JsonNode.Parse(confirmation.RequestMessage.Body!)!["confirm_url"]!.GetValue<string>());

        using var confirmed = await anonymous.GetAsync(ConfirmPath(confirmation));
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        Assert.Equal(SubscriberStatus.Confirmed, await StatusAsync());

        // Incident events are signed with the same secret, and carry the endpoint's one-click unsubscribe.
        await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        await Eventually.HoldsAsync(() => Task.FromResult(IncidentEvents().Count == 1), "the incident event arrives");
        var incident = IncidentEvents().Single();
        AssertSignedWith(incident, secret);
        var unsubscribe = JsonNode.Parse(incident.RequestMessage.Body!)!["meta"]!["unsubscribe"]!.GetValue<string>();
        using var left = await anonymous.PostAsync(unsubscribe["https://status.test".Length..], new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
        Assert.Equal(HttpStatusCode.OK, left.StatusCode);
        Assert.Equal(SubscriberStatus.Unsubscribed, await StatusAsync());
    }

    [Fact]
    public async Task An_attacker_repeating_a_known_webhook_url_never_gets_or_changes_its_secret()
    {
        // The victim subscribes their endpoint and receives the confirmation, signed with their secret.
        using var victim = App.CreateClient();
        var first = await victim.PostAsync("/api/public/subscriptions", new { webhookUrl = Url }, HttpStatusCode.Accepted);
        AssertSignedWith(await ConfirmationEventAsync(1), await StoredSecretAsync());
        var secret = await StoredSecretAsync();

        // The attacker asks for the same URL while it is pending: the same answer, no secret, the same secret kept;
        // the confirmation goes again to the endpoint only, signed with the victim's secret.
        using var attacker = App.CreateClient();
        var pendingRepeat = await attacker.PostAsync("/api/public/subscriptions", new { webhookUrl = Url }, HttpStatusCode.Accepted);
        Assert.Equal(first.ToJsonString(), pendingRepeat.ToJsonString());
        var resent = await ConfirmationEventAsync(2);
        AssertSignedWith(resent, secret);
        Assert.Equal(secret, await StoredSecretAsync());

        // The victim confirms with the latest link; the attacker repeats again: nothing is sent, nothing changes.
        using (var confirmed = await victim.GetAsync(ConfirmPath(resent)))
        {
            Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        }
        var confirmedAt = await WithDbAsync(db => db.Subscribers.Select(s => s.ConfirmedAt).SingleAsync());
        var before = _receiver.LogEntries.Count;
        var asked = await ConfirmationsAskedAsync();
        var confirmedRepeat = await attacker.PostAsync("/api/public/subscriptions", new { webhookUrl = Url }, HttpStatusCode.Accepted);
        Assert.Equal(first.ToJsonString(), confirmedRepeat.ToJsonString());
        Assert.Equal(asked, await ConfirmationsAskedAsync());
        await DrainedAsync();
        Assert.Equal(before, _receiver.LogEntries.Count);
        Assert.Equal(secret, await StoredSecretAsync());
        Assert.Equal(SubscriberStatus.Confirmed, await StatusAsync());
        Assert.Equal(confirmedAt, await WithDbAsync(db => db.Subscribers.Select(s => s.ConfirmedAt).SingleAsync()));

        // What the victim trusts is still signed with their own secret.
        await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        await Eventually.HoldsAsync(() => Task.FromResult(IncidentEvents().Count == 1), "the incident event arrives");
        AssertSignedWith(IncidentEvents().Single(), secret);
    }

    [Fact]
    public async Task An_attacker_resubscribing_an_endpoint_that_left_gets_nothing_and_the_old_link_stays_dead()
    {
        using var victim = App.CreateClient();
        var first = await victim.PostAsync("/api/public/subscriptions", new { webhookUrl = Url }, HttpStatusCode.Accepted);
        var oldLink = ConfirmPath(await ConfirmationEventAsync(1));
        (await victim.GetAsync(oldLink)).Dispose();
        var id = await WithDbAsync(db => db.Subscribers.Select(s => s.Id).SingleAsync());
        await using (var scope = App.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<SubscriberService>().UnsubscribeAsync(id, CancellationToken.None);
        }
        var secret = await StoredSecretAsync();

        using var attacker = App.CreateClient();
        var again = await attacker.PostAsync("/api/public/subscriptions", new { webhookUrl = Url }, HttpStatusCode.Accepted);
        Assert.Equal(first.ToJsonString(), again.ToJsonString());
        AssertSignedWith(await ConfirmationEventAsync(2), secret);
        Assert.Equal(secret, await StoredSecretAsync());

        // The link from the first subscription does not bring the endpoint back.
        using var replayed = await attacker.GetAsync(oldLink);
        Assert.Equal(HttpStatusCode.Conflict, replayed.StatusCode);
        Assert.Equal(SubscriberStatus.Pending, await StatusAsync());
    }

    [Fact]
    public async Task An_admin_created_webhook_returns_the_secret_once()
    {
        var created = await Admin.PostAsync("/api/subscribers", new { webhookUrl = Url, confirmed = true });
        Assert.Equal("webhook", created["channel"]!.GetValue<string>());
        Assert.Equal(await StoredSecretAsync(), created["secret"]!.GetValue<string>());
        var listed = await Admin.GetJsonAsync($"/api/subscribers/{created["id"]}");
        Assert.Null(listed["secret"]);
    }

    [Fact]
    public async Task Rotating_a_secret_is_an_audited_admin_action_that_shows_the_new_secret_once()
    {
        var created = await Admin.PostAsync("/api/subscribers", new { webhookUrl = Url, confirmed = true });
        var id = created["id"]!.GetValue<string>();
        var old = created["secret"]!.GetValue<string>();

        var rotated = await Admin.PostAsync($"/api/subscribers/{id}/rotate-secret", new { }, HttpStatusCode.OK);
        var secret = rotated["secret"]!.GetValue<string>();
        Assert.StartsWith("whsec_", secret);
        Assert.NotEqual(old, secret);
        Assert.Equal(secret, await StoredSecretAsync());
        Assert.Equal(id, rotated["id"]!.GetValue<string>());
        Assert.Null((await Admin.GetJsonAsync($"/api/subscribers/{id}"))["secret"]);
        var audit = await WithDbAsync(db => db.AuditEntries.Where(a => a.Action == "admin.post" && a.Subject == id).Select(a => a.Data).ToListAsync());
        Assert.Contains(audit, d => d.Contains("/rotate-secret", StringComparison.Ordinal) && d.Contains("200", StringComparison.Ordinal));
        Assert.DoesNotContain(audit, d => d.Contains(secret, StringComparison.Ordinal));

        // Events from now on are signed with the new secret.
        await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        await Eventually.HoldsAsync(() => Task.FromResult(IncidentEvents().Count == 1), "the incident event arrives");
        AssertSignedWith(IncidentEvents().Single(), secret);

        // Not for anyone else, not for other channels, not for nobody.
        using var anonymous = App.CreateClient();
        using (var refused = await anonymous.PostAsync($"/api/subscribers/{id}/rotate-secret", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        var readKey = (await Admin.PostAsync("/api/keys", new { name = "reader", scopes = new[] { "read", "publish" } }))["key"]!.GetValue<string>();
        using var reader = App.CreateClient();
        reader.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", readKey);
        using (var forbidden = await reader.PostAsync($"/api/subscribers/{id}/rotate-secret", null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }
        var email = await Admin.SubscribeAsync("ann@example.com");
        var conflict = await Admin.PostAsync($"/api/subscribers/{email}/rotate-secret", new { }, HttpStatusCode.Conflict);
        Assert.Contains("webhook", conflict["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await Admin.PostAsync($"/api/subscribers/{Guid.CreateVersion7()}/rotate-secret", new { }, HttpStatusCode.NotFound);
        Assert.Equal(secret, await StoredSecretAsync());
    }
}

/// <summary>With the default policy, subscriber URLs that point inside the network are refused.</summary>
public sealed class WebhookTargetRefusalTests : SqliteAppTest
{
    [Theory]
    [InlineData("https://127.0.0.1/hook", "127.0.0.1")]
    [InlineData("https://10.1.2.3/hook", "private")]
    [InlineData("https://169.254.169.254/latest/meta-data", "169.254.169.254")]
    [InlineData("https://[::ffff:192.168.1.1]/hook", "private")]
    [InlineData("https://2130706433/hook", "127.0.0.1")]
    [InlineData("https://localhost/hook", "localhost")]
    public async Task Private_targets_are_refused_with_detail_for_operators_only_and_nothing_is_stored(string url, string mentioned)
    {
        using var anonymous = App.CreateClient();
        var problem = await anonymous.PostAsync("/api/public/subscriptions", new { webhookUrl = url }, HttpStatusCode.BadRequest);
        Assert.Equal(["this address cannot receive webhooks."], problem["errors"]!["webhookUrl"]!.AsArray().Select(e => e!.GetValue<string>()));
        var admin = await Admin.PostAsync("/api/subscribers", new { webhookUrl = url, confirmed = true }, HttpStatusCode.BadRequest);
        Assert.Contains(mentioned, admin["errors"]!["webhookUrl"]![0]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, await WithDbAsync(db => db.Subscribers.CountAsync()));
    }

    [Fact]
    public async Task What_a_host_name_resolves_to_is_never_told_to_the_public()
    {
        // This machine's own name resolves inside the network (here, to loopback); a reserved name resolves nowhere.
        // An attacker probing names must learn nothing: the same answer, naming neither host nor address.
        var internalName = Dns.GetHostName();
        var addresses = new List<string>();
        try
        {
            addresses.AddRange((await Dns.GetHostAddressesAsync(internalName)).Select(a => a.ToString()));
        }
        catch (System.Net.Sockets.SocketException)
        {
            // Unresolvable here: then it is simply a second name that resolves nowhere.
        }
        using var anonymous = App.CreateClient();
        var answers = new List<string>();
        foreach (var url in new[] { $"https://{internalName}/x?token=abc", "https://no-such-host.invalid/x" })
        {
            using var response = await anonymous.PostAsync("/api/public/subscriptions",
                new StringContent(new JsonObject { ["webhookUrl"] = url }.ToJsonString(), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Contains("this address cannot receive webhooks.", body);
            Assert.DoesNotContain("resolve", body, StringComparison.OrdinalIgnoreCase);
            Assert.All(addresses, a => Assert.DoesNotContain(a, body));
            answers.Add(JsonNode.Parse(body)!["errors"]!.ToJsonString());
        }
        Assert.All(answers, a => Assert.Equal("""{"webhookUrl":["this address cannot receive webhooks."]}""", a));

        // The website's form says no more than the API.
        using var form = await anonymous.PostAsync("/subscribe", new FormUrlEncodedContent([new("webhookUrl", $"https://{internalName}/x")]));
        var page = await form.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, form.StatusCode);
        Assert.Contains("this address cannot receive webhooks.", page);
        Assert.All(addresses, a => Assert.DoesNotContain(a, page));
        Assert.Equal(0, await WithDbAsync(db => db.Subscribers.CountAsync()));
    }

    [Fact]
    public async Task A_mistake_in_the_url_itself_is_still_named()
    {
        using var anonymous = App.CreateClient();
        var problem = await anonymous.PostAsync("/api/public/subscriptions", new { webhookUrl = "http://example.com/hook" }, HttpStatusCode.BadRequest);
        Assert.Equal("webhookUrl must use https.", problem["errors"]!["webhookUrl"]![0]!.GetValue<string>());
    }
}
