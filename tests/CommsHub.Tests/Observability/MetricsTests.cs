using System.Net;
using CommsHub.Testing;
using CommsHub.Tests.Api;

namespace CommsHub.Tests.Observability;

/// <summary>/metrics after a real fan-out through the SendGrid SDK, and the monitoring files checked against it.</summary>
[Collection(BusTelemetryCollection.Name)]
public sealed class MetricsTests : SqliteAppTest, IDisposable
{
    private readonly SendGridFake _sendGrid = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Email:SendGrid:ApiKey"] = "SG.test-key",
        ["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url,
        ["Channels:Email:From"] = "status@acme.example",
        ["Metrics:SampleInterval"] = "00:00:01",
    };

    public void Dispose() => _sendGrid.Dispose();

    private static readonly string[] Contract =
    [
        "commshub_deliveries_total", "commshub_outbox_pending", "commshub_provider_requests_total",
        "commshub_provider_request_duration_seconds", "commshub_fanout_duration_seconds",
    ];

    private async Task<string> ScrapeAfterAFanOutAsync()
    {
        await Admin.SubscribeAsync("ann@example.com");
        await Admin.SubscribeAsync("bob@example.com");
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Playback outage", message = "We are investigating." });
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();
        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"updateId={updateId}&status=sent")).Count == 2, "both are sent");

        using var anonymous = App.CreateClient();
        var text = "";
        await Eventually.HoldsAsync(async () =>
        {
            var response = await anonymous.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            text = await response.Content.ReadAsStringAsync();
            // The outbox gauge appears once the sampler has read the database; the rest with the fan-out.
            return Contract.All(name => text.Contains("\n" + name, StringComparison.Ordinal) || text.StartsWith(name, StringComparison.Ordinal));
        }, "the contract's metrics are all on /metrics");
        return text;
    }

    [Fact]
    public async Task An_idle_process_exports_its_gauges_before_anything_is_sent()
    {
        using var anonymous = App.CreateClient();
        await Eventually.HoldsAsync(async () =>
        {
            var text = await anonymous.GetStringAsync("/metrics");
            return text.Contains("\ncommshub_outbox_pending", StringComparison.Ordinal)
                   && text.Contains("\ncommshub_telemetry_sample_age_seconds", StringComparison.Ordinal);
        }, "the outbox and sampler gauges are on /metrics with nothing sent");
        Assert.Empty(_sendGrid.Requests);
    }

    [Fact]
    public async Task Metrics_carry_the_contract_names_and_the_instrumentations_without_a_key()
    {
        var text = await ScrapeAfterAFanOutAsync();
        var lines = text.Split('\n');

        Assert.Contains(lines, l => l.StartsWith("commshub_deliveries_total{", StringComparison.Ordinal)
                                    && l.Contains("channel=\"email\"", StringComparison.Ordinal) && l.Contains("status=\"sent\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("commshub_provider_requests_total{", StringComparison.Ordinal)
                                    && l.Contains("provider=\"sendgrid\"", StringComparison.Ordinal) && l.Contains("outcome=\"accepted\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("commshub_provider_request_duration_seconds_bucket{", StringComparison.Ordinal));
        var names = MetricNames.Scraped(text);
        // ASP.NET Core, the .NET runtime, MassTransit, and the providers' HttpClients.
        foreach (var prefix in new[] { "http_server_request_duration_seconds", "dotnet_gc_", "messaging_masstransit_", "http_client_request_duration_seconds" })
        {
            Assert.True(names.Any(n => n.StartsWith(prefix, StringComparison.Ordinal)), $"No {prefix}… in: {string.Join(", ", names.Order())}");
        }
        // Counts and timings only: no subscriber, no key.
        Assert.DoesNotContain("example.com", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("SG.test-key", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_metric_the_dashboards_and_alerts_use_is_exported_or_declared()
    {
        var text = await ScrapeAfterAFanOutAsync();
        var declared = MetricNames.Declared();
        var monitoring = Path.Combine(RepoRoot(), "deploy", "monitoring");
        var files = Directory.GetFiles(monitoring, "*.json").Concat(Directory.GetFiles(monitoring, "*.yml")).ToList();
        Assert.NotEmpty(files);
        var used = files.ToDictionary(f => Path.GetFileName(f), f => MetricNames.Used(File.ReadAllText(f)).ToList());
        Assert.All(used, u => Assert.NotEmpty(u.Value));
        List<string> Missing(HashSet<string> scraped) => [.. used.SelectMany(u => u.Value.Select(n => (File: u.Key, Name: n)))
            .Where(u => !scraped.Contains(u.Name) && !declared.Contains(u.Name) && !declared.Contains(MetricNames.Family(u.Name)))
            .Select(u => $"{u.File}: {u.Name}")];

        // Counters appear once they have counted something: the bus's may follow the deliveries by a moment.
        using var anonymous = App.CreateClient();
        var missing = Missing(MetricNames.Scraped(text));
        await Eventually.HoldsAsync(async () =>
        {
            missing = Missing(MetricNames.Scraped(await anonymous.GetStringAsync("/metrics")));
            return missing.Count == 0;
        }, "every metric the monitoring files use is on /metrics or declared", TimeSpan.FromSeconds(15));
        Assert.Empty(missing);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CommsHub.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("CommsHub.sln not found above the test binaries.");
    }
}
