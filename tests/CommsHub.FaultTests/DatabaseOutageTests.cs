using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CommsHub.Core.StatusPage;
using CommsHub.FaultTests.Harness;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace CommsHub.FaultTests;

/// <summary>
/// "The database" is a proxy in front of this test's private PostgreSQL database: refused (a server
/// that is down) or black-holed (a network that drops everything). Writes must answer 503 with
/// nothing stored and nothing published, the status page must keep its last snapshot, and the
/// service must come back by itself.
/// </summary>
public sealed class DatabaseOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly SendGridFake _sendGrid = new();
    private Infrastructure _infra = null!;
    private TcpProxy _proxy = null!;
    private CommsHubApp _app = null!;
    private HttpClient _admin = null!;
    private HttpClient _public = null!;

    public async Task InitializeAsync()
    {
        _infra = await Infrastructure.CreateAsync();
        var direct = new NpgsqlConnectionStringBuilder(_infra.PostgresConnectionString);
        _proxy = TcpProxy.Start(direct.Host!, direct.Port);
        var proxied = new NpgsqlConnectionStringBuilder(_infra.PostgresConnectionString) { Host = "127.0.0.1", Port = _proxy.Port };
        var settings = _infra.Settings();
        settings["ConnectionStrings:CommsHub"] = proxied.ConnectionString;
        settings["Channels:Email:SendGrid:ApiKey"] = "SG.outage";
        settings["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url;
        settings["Channels:Email:From"] = "status@acme.example";
        _app = new CommsHubApp(settings);
        _admin = _app.Admin();
        _public = _app.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _proxy.Forward();
        _admin.Dispose();
        _public.Dispose();
        await _app.DisposeAsync();
        await _proxy.DisposeAsync();
        _sendGrid.Dispose();
        await _infra.DisposeAsync();
    }

    [Fact]
    public async Task Refused_database_answers_503_stores_and_publishes_nothing_keeps_the_status_page_and_recovers()
    {
        var (incidentId, _) = await PublishBeforeOutageAsync();
        var before = await CountsAsync();
        var mailsBefore = _sendGrid.Requests.Count;

        _proxy.Refuse();
        var latencies = new List<long>();
        foreach (var (path, body) in Writes(incidentId))
        {
            latencies.Add(await AssertUnavailableAsync(HttpMethod.Post, path, body, path.StartsWith("/api/public", StringComparison.Ordinal) ? _public : _admin));
        }
        latencies.Add(await AssertUnavailableAsync(HttpMethod.Get, "/api/incidents?state=all", null, _admin));
        latencies.Add(await AssertUnavailableAsync(HttpMethod.Get, $"/api/incidents/{incidentId}", null, _admin));
        output.WriteLine($"503 with the database refused: max {latencies.Max()} ms, median {latencies.Order().ElementAt(latencies.Count / 2)} ms");
        Assert.All(latencies, ms => Assert.True(ms < 3_000, $"a refused database answered after {ms} ms"));

        using (var ready = await _public.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("Unhealthy", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Ask for a rebuild while the database is down: it must fail and leave the last snapshot in place.
        _app.Services.GetRequiredService<StatusChangeSignal>().Notify();
        await Task.Delay(1_000);
        await AssertStatusPageServesAsync(incidentId, "Checkout is slow", "Payments are delayed");

        Assert.Equal(before, await CountsAsync());
        Assert.Equal(mailsBefore, _sendGrid.Requests.Count);

        // Recovery, without a restart.
        _proxy.Forward();
        var clock = Stopwatch.StartNew();
        JsonNode? update = null;
        while (update is null)
        {
            using var response = await _admin.PostAsJsonAsync($"/api/incidents/{incidentId}/updates",
                new { message = "Payments recovered after the database came back.", status = "monitoring" });
            if (response.StatusCode == HttpStatusCode.Created)
            {
                update = JsonNode.Parse(await response.Content.ReadAsStringAsync());
                break;
            }
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "writes did not recover within 10 s of the database returning");
            await Task.Delay(100);
        }
        var recoveredAfter = clock.ElapsedMilliseconds;
        var updateId = update!["id"]!.GetValue<string>();
        await Eventually.HoldsAsync(async () => (await _admin.AllDeliveriesAsync($"updateId={updateId}&status=sent")).Count == 1,
            "the update published after recovery is mailed", TimeSpan.FromSeconds(40));
        output.WriteLine($"first 201 {recoveredAfter} ms after the database returned; mailed {clock.ElapsedMilliseconds} ms after");
        Assert.Contains(_sendGrid.Accepted, m => m.Content("text/plain")?.Contains("Payments recovered", StringComparison.Ordinal) == true);
        await Eventually.HoldsAsync(async () => (await _public.GetStringAsync("/")).Contains("Payments recovered", StringComparison.Ordinal),
            "the status page shows the update published after recovery", TimeSpan.FromSeconds(20));
        using var readyAgain = await _public.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, readyAgain.StatusCode);
    }

    [Fact]
    public async Task Black_holed_database_answers_503_within_seconds_and_recovers()
    {
        var (incidentId, _) = await PublishBeforeOutageAsync();
        var before = await CountsAsync();

        _proxy.BlackHole();
        var latencies = new List<long>();
        foreach (var (path, body) in Writes(incidentId).Take(4))
        {
            latencies.Add(await AssertUnavailableAsync(HttpMethod.Post, path, body, _admin));
        }
        output.WriteLine($"503 with the database black-holed: {string.Join(", ", latencies)} ms");
        // A pooled connection costs the command time-out plus Npgsql's cancel attempt; once the pool
        // is empty each call costs a connect time-out. Neither waits for the OS to give up on TCP.
        Assert.True(latencies[0] < 15_000, $"the first write answered after {latencies[0]} ms");
        Assert.All(latencies.Skip(2), ms => Assert.True(ms < 8_000, $"a black-holed database answered after {ms} ms"));
        await AssertStatusPageServesAsync(incidentId, "Checkout is slow", "Payments are delayed");
        var readyClock = Stopwatch.StartNew();
        using (var ready = await _public.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }
        output.WriteLine($"/health/ready unhealthy after {readyClock.ElapsedMilliseconds} ms");
        Assert.Equal(before, await CountsAsync());

        _proxy.Forward();
        var clock = Stopwatch.StartNew();
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await _admin.PostAsJsonAsync("/api/incidents", new { title = "After the partition", message = "Back." });
            return response.StatusCode == HttpStatusCode.Created;
        }, "a write succeeds after the partition heals", TimeSpan.FromSeconds(20));
        output.WriteLine($"first 201 {clock.ElapsedMilliseconds} ms after the partition healed");
    }

    private async Task<(string IncidentId, string UpdateId)> PublishBeforeOutageAsync()
    {
        await _admin.SubscribeAsync("reader@example.com");
        var incident = await _admin.PostAsync("/api/incidents", new { title = "Checkout is slow", message = "Payments are delayed.", impact = "major" });
        var incidentId = incident["id"]!.GetValue<string>();
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();
        await Eventually.HoldsAsync(async () => (await _admin.AllDeliveriesAsync($"updateId={updateId}&status=sent")).Count == 1,
            "the first update is mailed");
        await Eventually.HoldsAsync(async () => (await _public.GetStringAsync("/")).Contains("Checkout is slow", StringComparison.Ordinal),
            "the status page shows the incident", TimeSpan.FromSeconds(20));
        return (incidentId, updateId);
    }

    private static IEnumerable<(string Path, object Body)> Writes(string incidentId) =>
    [
        ("/api/incidents", new { title = "Written during the outage", message = "Must not be stored." }),
        ($"/api/incidents/{incidentId}/updates", new { message = "Must not be stored either.", status = "identified" }),
        ("/api/subscribers", new { email = "outage@example.com", confirmed = true }),
        ("/api/components", new { name = "Outage component" }),
        ("/api/public/subscriptions", new { email = "public@example.com" }),
    ];

    /// <summary>Asserts a 503 problem with Retry-After and returns how long the answer took.</summary>
    private static async Task<long> AssertUnavailableAsync(HttpMethod method, string path, object? body, HttpClient client)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        var clock = Stopwatch.StartNew();
        using var response = await client.SendAsync(request);
        var elapsed = clock.ElapsedMilliseconds;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(503, JsonNode.Parse(text)!["status"]!.GetValue<int>());
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.True(retryAfter > TimeSpan.Zero, $"{method} {path} has no Retry-After");
        return elapsed;
    }

    private async Task AssertStatusPageServesAsync(string incidentId, string title, string message)
    {
        foreach (var path in new[] { "/", "/api/v2/summary.json", "/api/v2/incidents.json", "/api/v2/incidents/unresolved.json", "/history.atom", $"/incidents/{incidentId}" })
        {
            using var response = await _public.GetAsync(path);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)response.StatusCode} during the outage");
            Assert.Contains(title, text, StringComparison.Ordinal);
            Assert.Contains(message, text, StringComparison.Ordinal);
        }
        var status = await _public.GetJsonAsync("/api/v2/status.json");
        Assert.Equal("major", status["status"]!["indicator"]!.GetValue<string>());
    }

    /// <summary>Row counts read straight from PostgreSQL, around the proxy.</summary>
    private async Task<string> CountsAsync()
    {
        await using var connection = new NpgsqlConnection(_infra.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT (SELECT count(*) FROM incidents) || ' incidents, ' || (SELECT count(*) FROM incident_updates) || ' updates, '
                || (SELECT count(*) FROM subscribers) || ' subscribers, ' || (SELECT count(*) FROM components) || ' components, '
                || (SELECT count(*) FROM outbox_messages) || ' outbox rows, ' || (SELECT count(*) FROM deliveries) || ' deliveries'
            """, connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
