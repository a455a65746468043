using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using Xunit.Abstractions;

namespace CommsHub.FaultTests;

/// <summary>
/// Poison message → its endpoint's <c>_error</c> queue after the bounded retries, no redelivery
/// loop, an operator-visible alert, and the traffic behind it still flows. On PostgreSQL and
/// RabbitMQ, the poison put on the real broker the way it would really arrive.
/// </summary>
public sealed class PoisonMessageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Operator = "ops@acme.example";
    // Three quick retries: a poison message that may be transient is tried 4 times within 0.7 s.
    private static readonly TimeSpan RetryWindow = TimeSpan.FromMilliseconds(100 + 200 + 400);

    private readonly SendGridFake _sendGrid = new();
    private Infrastructure _infra = null!;
    private PoisonBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _infra = await Infrastructure.CreateAsync();
        _broker = new PoisonBroker(_infra.RabbitMqUri);
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        _sendGrid.Dispose();
        await _infra.DisposeAsync();
    }

    private async Task<CommsHubApp> StartAsync(Dictionary<string, string?>? extra = null)
    {
        var settings = _infra.Settings();
        settings["Channels:Email:SendGrid:ApiKey"] = "SG.poison";
        settings["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url;
        settings["Channels:Email:From"] = "Acme Status <status@acme.example>";
        settings["Operators:Emails:0"] = Operator;
        settings["Incidents:UpdateReminderAfter"] = "00:00:00";
        settings["Bus:RetryIntervals:0"] = "00:00:00.100";
        settings["Bus:RetryIntervals:1"] = "00:00:00.200";
        settings["Bus:RetryIntervals:2"] = "00:00:00.400";
        // A provider refusing one address must not open SendGrid's circuit here (that row is ProviderFaultTests):
        // the operator's notice goes through the same provider.
        settings["Channels:Email:SendGrid:CircuitBreaker:MinimumThroughput"] = "1000";
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }
        var app = new CommsHubApp(settings);
        _ = app.Server;
        await Eventually.HoldsAsync(async () => await _broker.DepthAsync("send-email-batch") >= 0 && await _broker.DepthAsync("bus-faults") >= 0,
            "the worker's queues exist");
        return app;
    }

    private static async Task<List<JsonNode>> AlertsAsync(HttpClient admin) =>
        [.. (await admin.GetJsonAsync("/api/alerts?limit=100"))["items"]!.AsArray().Select(i => i!)];

    private List<SentMail> OperatorMails() => [.. _sendGrid.Requests.Where(r => r.Recipients.Contains(Operator))];

    [Fact]
    public async Task Unreadable_and_invalid_send_commands_land_in_the_error_queue_once_with_one_operator_notice_while_real_mail_flows()
    {
        await using var app = await StartAsync();
        using var admin = app.Admin();
        var counter = new ReceiveCounter("poison-unreadable", "poison-invalid");
        app.Services.GetRequiredService<IBus>().ConnectReceiveObserver(counter);
        await admin.SubscribeAsync("reader@example.com");

        var unreadable = Guid.NewGuid();
        var invalid = Guid.NewGuid();
        var clock = Stopwatch.StartNew();
        await _broker.PublishRawAsync("CommsHub.Contracts:SendEmailBatch", """{ "poison-unreadable": [1, 2""", unreadable);
        await _broker.PublishRawAsync("CommsHub.Contracts:SendEmailBatch", $$"""
            {"messageId": "{{invalid}}", "messageType": ["urn:message:CommsHub.Contracts:SendEmailBatch"],
             "message": {"updateId": "poison-invalid", "batch": "seven"} }
            """, invalid);
        // Ordinary traffic behind the poison, on the same queue.
        await admin.PostAsync("/api/incidents", new { title = "Checkout errors", message = "We are looking into failed payments." });

        await Eventually.HoldsAsync(async () => await _broker.DepthAsync("send-email-batch_error") == 2, "both are in send-email-batch_error");
        var toError = clock.Elapsed;
        await Eventually.HoldsAsync(async () => (await AlertsAsync(admin)).Count == 2, "both are alerts");
        var toAlert = clock.Elapsed;
        await Eventually.HoldsAsync(() => Task.FromResult(OperatorMails().Count > 0), "operators are mailed");
        var toNotice = clock.Elapsed;
        await Eventually.HoldsAsync(() => Task.FromResult(_sendGrid.Accepted.Any(r => r.Recipients.Contains("reader@example.com"))), "the update is mailed");

        // Twice the retry window and more: nothing comes back from the error queue.
        await Task.Delay(RetryWindow * 2 + TimeSpan.FromSeconds(2));
        output.WriteLine($"to _error {toError.TotalMilliseconds:F0} ms, to alert {toAlert.TotalMilliseconds:F0} ms, to operator mail {toNotice.TotalMilliseconds:F0} ms; "
                         + $"received: unreadable {counter.Of("send-email-batch", "poison-unreadable")}, invalid {counter.Of("send-email-batch", "poison-invalid")}");
        Assert.Equal(2, await _broker.DepthAsync("send-email-batch_error"));
        Assert.Equal(0, await _broker.DepthAsync("send-email-batch"));
        Assert.Equal(1, counter.Of("send-email-batch", "poison-unreadable"));
        Assert.Equal(1, counter.Of("send-email-batch", "poison-invalid"));

        var alerts = await AlertsAsync(admin);
        Assert.All(alerts, a =>
        {
            Assert.Equal("bus.message_faulted", a["action"]!.GetValue<string>());
            Assert.Equal("send-email-batch", a["data"]!["queue"]!.GetValue<string>());
            Assert.Equal("send-email-batch_error", a["data"]!["errorQueue"]!.GetValue<string>());
        });
        var ids = alerts.Select(a => a["data"]!["messageId"]?.GetValue<string>()).Order().ToArray();
        Assert.Equal(new[] { invalid.ToString(), unreadable.ToString() }.Order().ToArray(), ids);
        // The same alerts through the audit log's filter.
        var audit = await admin.GetJsonAsync("/api/audit?action=bus.message_faulted");
        Assert.Equal(2, audit["items"]!.AsArray().Count);

        // Two faults on one queue within Alerts:NotifyEvery: one notice, not a storm.
        var notice = Assert.Single(OperatorMails());
        Assert.Contains("send-email-batch_error", notice.Subject);
        Assert.Contains("/api/alerts", notice.Content("text/plain"));
    }

    [Fact]
    public async Task A_confirmation_whose_provider_always_fails_is_retried_on_the_delivery_schedule_and_holds_up_nobody()
    {
        // The provider refuses this one address with a 503 every time. A confirmation is a delivery like any other, so
        // this is a transient send failure retried on the providers' schedule (5 s, 30 s, …), not a poison message.
        _sendGrid.Server.Given(Request.Create().WithPath("/v3/mail/send").UsingPost().WithBody(new WildcardMatcher("*poison@example.com*")))
            .AtPriority(-1)
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(503).WithBody("""{"errors":[{"message":"unavailable"}]}"""));
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        using var admin = app.Admin();

        await client.PostAsync("/api/public/subscriptions", new { email = "poison@example.com" }, HttpStatusCode.Accepted);
        await client.PostAsync("/api/public/subscriptions", new { email = "fine@example.com" }, HttpStatusCode.Accepted);

        await Eventually.HoldsAsync(() => Task.FromResult(_sendGrid.Accepted.Any(r => r.Recipients.Contains("fine@example.com"))), "the other confirmation is sent");
        // A claim counts its attempt before the request leaves, so the attempt log (outcomes recorded) is what the
        // provider's requests are compared with: wait for two refusals to be recorded, not for the counter.
        JsonNode? delivery = null, log = null;
        await Eventually.HoldsAsync(async () =>
        {
            delivery = (await admin.GetJsonAsync("/api/deliveries?kind=confirmation&recipient=poison@example.com"))["items"]!.AsArray().SingleOrDefault();
            if (delivery is null)
            {
                return false;
            }
            log = await admin.GetJsonAsync($"/api/deliveries/{delivery["id"]!.GetValue<string>()}");
            return log["attemptLog"]!.AsArray().Count >= 2;
        }, "the refused confirmation is tried again on its schedule and both refusals are recorded");

        var recorded = log!["attemptLog"]!.AsArray().Count;
        var tries = _sendGrid.Requests.Count(r => r.Recipients.Contains("poison@example.com"));
        output.WriteLine($"provider tried {tries} times, {recorded} outcomes recorded, {delivery!["attempts"]} attempts counted");
        Assert.Equal("queued", delivery["status"]!.GetValue<string>());
        Assert.Contains("503", delivery["lastError"]!.GetValue<string>());
        // One provider request per recorded outcome (the next claim's request may be in flight while reading).
        Assert.InRange(tries, recorded, recorded + 1);
        Assert.All(log["attemptLog"]!.AsArray(), a => Assert.Equal(503, a!["httpStatus"]!.GetValue<int>()));
        // Nothing parked, nothing to alert about: the pipeline owns the retries.
        // (-1: the error queue was never even declared.)
        Assert.InRange(await _broker.DepthAsync("subscription-confirmation_error"), -1, 0);
        Assert.Empty(await AlertsAsync(admin));
    }

    [Fact]
    public async Task A_batch_whose_send_command_always_faults_is_redriven_a_bounded_number_of_times_then_its_deliveries_fail()
    {
        await using var app = await StartAsync(new()
        {
            ["Channels:Email:BatchSize"] = "1",
            ["Deliveries:Redrive:CommandFaultBackoff"] = "00:00:01",
            ["Deliveries:Redrive:MaxCommandFaults"] = "3",
        });
        using var admin = app.Admin();
        // The database refuses every claim of one recipient's batch: its send command fails every time, before anything is sent.
        await using (var connection = new NpgsqlConnection(_infra.PostgresConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("""
                CREATE FUNCTION refuse_poison_claim() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF NEW.recipient = 'poison@example.com' AND NEW.lease_token IS NOT NULL AND NEW.lease_token IS DISTINCT FROM OLD.lease_token THEN
                    RAISE EXCEPTION 'injected: claims of this batch fail';
                  END IF;
                  RETURN NEW;
                END $$;
                CREATE TRIGGER refuse_poison_claim BEFORE UPDATE ON deliveries FOR EACH ROW EXECUTE FUNCTION refuse_poison_claim();
                """, connection);
            await command.ExecuteNonQueryAsync();
        }
        await admin.SubscribeAsync("poison@example.com");
        await admin.SubscribeAsync("reader@example.com");

        var clock = Stopwatch.StartNew();
        var incident = await admin.PostAsync("/api/incidents", new { title = "Login failures", message = "Some sign-ins fail; we are on it." });
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();

        JsonNode? poison = null;
        await Eventually.HoldsAsync(async () =>
        {
            poison = (await admin.AllDeliveriesAsync($"updateId={updateId}&recipient=poison@example.com")).SingleOrDefault();
            return poison?["status"]?.GetValue<string>() == "failed";
        }, "the poison batch is given up", TimeSpan.FromSeconds(45));
        var toGiveUp = clock.Elapsed;
        var faultsAtGiveUp = await _broker.DepthAsync("send-email-batch_error");

        // Well past the last back-off: the redrive sends it no more.
        await Task.Delay(TimeSpan.FromSeconds(6));
        var reader = (await admin.AllDeliveriesAsync($"updateId={updateId}&recipient=reader@example.com")).Single();
        var alerts = await AlertsAsync(admin);
        output.WriteLine($"given up after {toGiveUp.TotalMilliseconds:F0} ms; {faultsAtGiveUp} commands in send-email-batch_error; last error: {poison!["lastError"]}");
        Assert.Equal(3, await _broker.DepthAsync("send-email-batch_error"));
        Assert.Equal(3, poison["attempts"]!.GetValue<int>());
        Assert.StartsWith("Gave up after 3 failed send commands: SendEmailBatch failed in send-email-batch", poison["lastError"]!.GetValue<string>());
        Assert.Contains("injected: claims of this batch fail", poison["lastError"]!.GetValue<string>());
        Assert.Equal("sent", reader["status"]!.GetValue<string>());
        Assert.DoesNotContain(_sendGrid.Requests, r => r.Recipients.Contains("poison@example.com"));
        Assert.Equal(3, alerts.Count(a => a["action"]!.GetValue<string>() == "bus.message_faulted"));
        var abandoned = Assert.Single(alerts, a => a["action"]!.GetValue<string>() == "delivery.abandoned");
        Assert.Equal("command_faulted", abandoned["data"]!["reason"]!.GetValue<string>());
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        var id = Guid.Parse(poison["id"]!.GetValue<string>());
        var attempts = await db.DeliveryAttempts.Where(a => a.DeliveryIds.Contains(id)).OrderBy(a => a.Number).Select(a => new { a.Provider, a.Outcome }).ToListAsync();
        Assert.Equal([("bus", DeliveryStatus.Queued), ("bus", DeliveryStatus.Queued), ("bus", DeliveryStatus.Failed)],
            attempts.Select(a => (a.Provider, a.Outcome)).ToArray());
    }
}
