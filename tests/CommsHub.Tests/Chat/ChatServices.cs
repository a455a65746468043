using System.Text.Json.Nodes;
using CommsHub.Core.Channels;
using CommsHub.Core.Channels.Chat;
using CommsHub.Core.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using CommsHub.Core.Incidents;

namespace CommsHub.Tests.Chat;

/// <summary>The chat services exactly as the host registers them, over in-memory configuration.</summary>
internal static class ChatServices
{
    public static ServiceProvider Build(Dictionary<string, string?> settings, TimeProvider? time = null, TimeSpan? timeout = null, ILoggerProvider? logs = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Trace);
            if (logs is not null)
            {
                logging.AddProvider(logs);
            }
        });
        if (time is not null)
        {
            services.AddSingleton(time);
        }
        services.AddCommsHubChat();
        if (timeout is { } wait)
        {
            // Only so a time-out test need not wait the production 30 s.
            services.AddHttpClient(ChatSetup.HttpClientName).ConfigureHttpClient(c => c.Timeout = wait);
        }
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public static IChatWebhook Webhook(this IServiceProvider services, string name) =>
        services.GetServices<IChatWebhook>().Single(w => w.Name == name);
}

internal static class Updates
{
    public const string IncidentUrl = "https://status.acme.test/incidents/0193a6f0-0000-7000-8000-000000000001";

    public static UpdateContent Sample(
        string title = "Playback errors in Europe",
        string message = "We found the cause and are rolling back the release.",
        Impact impact = Impact.Major,
        string pageName = "Acme Status",
        IReadOnlyList<(string, ComponentStatus)>? components = null) =>
        new(
            pageName,
            "https://status.acme.test/",
            Guid.Parse("0193a6f0-0000-7000-8000-000000000001"),
            title,
            IncidentUrl,
            IncidentStatus.Identified,
            impact,
            message,
            new DateTimeOffset(2026, 11, 28, 10, 15, 0, TimeSpan.Zero),
            components ?? [("Playback", ComponentStatus.PartialOutage), ("Sign-in", ComponentStatus.DegradedPerformance)]);

    /// <summary>Both sides through the same serializer, so the comparison is of content and order, not of escaping style.</summary>
    public static string Normalize(string json) => JsonNode.Parse(json)!.ToJsonString();
}

internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>Everything logged at any level, to check that no webhook secret ever reaches a log.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            lines.Enqueue($"{category} scope: {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{category}: {formatter(state, exception)} {exception}");
    }
}
