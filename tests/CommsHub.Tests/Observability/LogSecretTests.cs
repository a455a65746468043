using System.Text.Json.Nodes;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using CommsHub.Tests.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CommsHub.Tests.Observability;

/// <summary>
/// A whole run's logs at Trace level (subscribing, publishing, sending by email and webhook, reading the
/// deliveries) hold no key, token, webhook secret or subscriber address.
/// </summary>
public sealed class LogSecretTests : SqliteAppTest, IDisposable
{
    private const string SendGridKey = "SG.log-probe-sendgrid-key-0123456789";
    private readonly SendGridFake _sendGrid = new();
    private readonly LoopbackHttpServer _receiver = new();
    private readonly CapturedLogs _logs = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Email:SendGrid:ApiKey"] = SendGridKey,
        ["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url,
        ["Channels:Email:From"] = "status@acme.example",
        ["Webhooks:AllowPrivateTargets"] = "true",
        ["Logging:LogLevel:Default"] = "Trace",
        ["Logging:LogLevel:Microsoft"] = "Trace",
    };

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs));

    public void Dispose()
    {
        _sendGrid.Dispose();
        _receiver.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Fact]
    public async Task No_log_line_at_any_level_carries_a_secret_or_a_subscriber_address()
    {
        const string email = "log-probe.person@example.org";
        var hook = $"http://127.0.0.1:{_receiver.Port}/hooks/log-probe-path-token";
        await Admin.SubscribeAsync(email);
        var webhook = await Admin.PostAsync("/api/subscribers", new { webhookUrl = hook, confirmed = true });
        var secret = webhook["secret"]!.GetValue<string>();
        var key = await Admin.PostAsync("/api/keys", new { name = "log-probe", scopes = new[] { "read" } });
        using (var reader = App.Admin(key["key"]!.GetValue<string>()))
        {
            await reader.GetJsonAsync("/api/incidents");
        }

        var incident = await Admin.PostAsync("/api/incidents", new { title = "Playback outage", message = "We are investigating." });
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();
        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"updateId={updateId}&status=sent")).Count == 2,
            "the email and the webhook are sent");
        await Admin.GetJsonAsync($"/api/deliveries?recipient={Uri.EscapeDataString(email)}");

        var lines = _logs.Lines.ToList();
        Assert.Contains(lines, l => l.StartsWith("Trace ", StringComparison.Ordinal) || l.StartsWith("Debug ", StringComparison.Ordinal));
        // Lines written under a request or a consumer carry its trace and span (ActivityTrackingOptions).
        Assert.Contains(lines, l => l.Contains("TraceId:", StringComparison.Ordinal) && l.Contains("SpanId:", StringComparison.Ordinal));
        string[] secrets =
        [
            CommsHubApp.AdminKey, SendGridKey, key["key"]!.GetValue<string>(), secret, secret["whsec_".Length..],
            email, "log-probe-path-token", "log-probe.person",
        ];
        foreach (var needle in secrets.Where(s => s.Length > 0))
        {
            var leaks = lines.Where(l => l.Contains(needle, StringComparison.OrdinalIgnoreCase)).Take(3).ToList();
            Assert.True(leaks.Count == 0, $"'{needle}' is in the logs:\n{string.Join("\n---\n", leaks)}");
        }
    }
}
