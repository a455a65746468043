using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Subscribers;
using CommsHub.FaultTests.Harness;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace CommsHub.FaultTests;

/// <summary>
/// The real product on PostgreSQL + RabbitMQ with every provider pointed at a loopback fake, and
/// the log lines it writes, for the provider fault tests.
/// </summary>
public sealed class ProviderFaultHarness : IAsyncDisposable
{
    private ProviderFaultHarness(Infrastructure infra, CommsHubApp app, LogCapture logs, TcpProxy? database)
    {
        Infra = infra;
        App = app;
        Logs = logs;
        _database = database;
        Admin = app.Admin();
    }

    public Infrastructure Infra { get; }
    public CommsHubApp App { get; }
    public LogCapture Logs { get; }
    public HttpClient Admin { get; }

    private readonly TcpProxy? _database;

    /// <summary>The proxy the product reaches its database through, when started with <c>proxiedDatabase</c>.</summary>
    public TcpProxy DatabaseProxy => _database ?? throw new InvalidOperationException("started without a database proxy");

    /// <param name="proxiedDatabase">Reach the database through a <see cref="TcpProxy"/> (<see cref="DatabaseProxy"/>), so a test can take it away.</param>
    public static async Task<ProviderFaultHarness> StartAsync(SendGridFake sendGrid, TwilioFake twilio, Dictionary<string, string?> settings,
        bool proxiedDatabase = false)
    {
        var infra = await Infrastructure.CreateAsync();
        var all = infra.Settings();
        TcpProxy? proxy = null;
        if (proxiedDatabase)
        {
            var direct = new Npgsql.NpgsqlConnectionStringBuilder(infra.PostgresConnectionString);
            proxy = TcpProxy.Start(direct.Host!, direct.Port);
            all["ConnectionStrings:CommsHub"] = new Npgsql.NpgsqlConnectionStringBuilder(infra.PostgresConnectionString)
            {
                Host = "127.0.0.1", Port = proxy.Port,
            }.ConnectionString;
        }
        foreach (var (key, value) in new Dictionary<string, string?>
        {
            ["Channels:Email:SendGrid:ApiKey"] = "SG.faults",
            ["Channels:Email:SendGrid:BaseUrl"] = sendGrid.Url,
            ["Channels:Email:From"] = "status@acme.example",
            ["Channels:Sms:Twilio:AccountSid"] = TwilioFake.AccountSid,
            ["Channels:Sms:Twilio:AuthToken"] = TwilioFake.AuthToken,
            ["Channels:Sms:Twilio:BaseUrl"] = twilio.Url,
            ["Channels:Sms:From"] = "+15005550006",
            ["Webhooks:AllowPrivateTargets"] = "true",
        }.Concat(settings))
        {
            all[key] = value;
        }
        var logs = new LogCapture();
        var app = new CommsHubApp(all) { TestServices = s => s.AddSingleton<ILoggerProvider>(logs) };
        _ = app.Server;
        return new ProviderFaultHarness(infra, app, logs, proxy);
    }

    /// <summary>Opens an incident (notifying every channel) and returns its first update's id.</summary>
    public async Task<Guid> PublishAsync(string title)
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title, message = "We are investigating.", impact = "major" });
        return Guid.Parse(incident["updates"]![0]!["id"]!.GetValue<string>());
    }

    public async Task<List<Delivery>> DeliveriesAsync(Guid? updateId = null, Channel? channel = null)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CommsHubDbContext>().Deliveries.AsNoTracking()
            .Where(d => (updateId == null || d.UpdateId == updateId) && (channel == null || d.Channel == channel))
            .OrderBy(d => d.Recipient).ToListAsync();
    }

    public async Task<List<DeliveryAttempt>> AttemptsAsync(Guid deliveryId)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CommsHubDbContext>().DeliveryAttempts.AsNoTracking()
            .Where(a => a.DeliveryIds.Contains(deliveryId)).OrderBy(a => a.Number).ToListAsync();
    }

    public async Task<SubscriberStatus> SubscriberStatusAsync(Guid subscriberId)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CommsHubDbContext>().Subscribers.AsNoTracking()
            .Where(s => s.Id == subscriberId).Select(s => s.Status).SingleAsync();
    }

    public Task UntilAsync(Func<List<Delivery>, bool> condition, string description, double seconds = 30) =>
        Eventually.HoldsAsync(async () => condition(await DeliveriesAsync()), description, TimeSpan.FromSeconds(seconds));

    public async ValueTask DisposeAsync()
    {
        _database?.Forward();
        Admin.Dispose();
        await App.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
        await Infra.DisposeAsync();
    }
}

/// <summary>Every log line the product writes, with the time it was written.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<(DateTime At, string Category, LogLevel Level, string Message)> _entries = new();

    public IReadOnlyList<(DateTime At, string Category, LogLevel Level, string Message)> Entries => [.. _entries];

    public IReadOnlyList<(DateTime At, LogLevel Level, string Message)> Matching(string text) =>
        [.. _entries.Where(e => e.Message.Contains(text, StringComparison.Ordinal)).Select(e => (e.At, e.Level, e.Message))];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                capture._entries.Enqueue((DateTime.UtcNow, category, logLevel, formatter(state, exception)));
            }
        }
    }
}

/// <summary>A subscriber's webhook endpoint on loopback: answers as told, and records when each post arrived.</summary>
public sealed class ProviderWebhookTarget : IDisposable
{
    private readonly ConcurrentQueue<(int N, DateTime At, string Path, string? Incident)> _arrivals = new();
    private int _count;

    public ProviderWebhookTarget()
    {
        Server = WireMockServer.Start();
        Server.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithCallback(async request =>
        {
            var n = Interlocked.Increment(ref _count);
            var incident = JsonNode.Parse(request.Body ?? "{}")?["incident"]?["name"]?.GetValue<string>();
            _arrivals.Enqueue((n, DateTime.UtcNow, request.Path, incident));
            var (status, retryAfter, delay) = Answer(n, request.Path);
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay);
            }
            var headers = new Dictionary<string, WireMockList<string>>();
            if (retryAfter is not null)
            {
                headers["Retry-After"] = new(retryAfter);
            }
            return (IResponseMessage)new ResponseMessage
            {
                StatusCode = status,
                Headers = headers,
                BodyData = new BodyData { BodyAsString = "", DetectedBodyType = BodyType.String },
            };
        }));
    }

    public WireMockServer Server { get; }
    public string Url => Server.Url!;

    /// <summary>The n-th post's (1-based) status, Retry-After and delay before answering, by path. Default: 200 at once.</summary>
    public Func<int, string, (int Status, string? RetryAfter, TimeSpan Delay)> Answer { get; set; } = (_, _) => (200, null, TimeSpan.Zero);

    /// <summary>Every post in arrival order: when, to which path, and the incident it was about.</summary>
    public IReadOnlyList<(DateTime At, string Path, string? Incident)> Arrivals => [.. _arrivals.OrderBy(a => a.N).Select(a => (a.At, a.Path, a.Incident))];

    public void Dispose() => Server.Stop();
}
