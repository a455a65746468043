using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Console;
using CommsHub.Core.Hosting;
using MassTransit.Logging;
using MassTransit.Monitoring;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace CommsHub.Core.Telemetry;

public static class TelemetrySetup
{
    /// <summary>The standard OpenTelemetry variable: set, traces and metrics also go out over OTLP.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// OpenTelemetry for every host: CommsHub's meter and activity source, MassTransit's, Npgsql's, the
    /// HttpClient and .NET runtime instrumentation, OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
    /// The Api adds ASP.NET Core and the Prometheus exporter to the same providers.
    /// </summary>
    public static IServiceCollection AddCommsHubTelemetry(this IServiceCollection services, IConfiguration configuration, CommsHubRoles roles)
    {
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section)
            .Validate(o => o.SampleInterval >= TimeSpan.FromSeconds(1), "Metrics:SampleInterval must be at least 00:00:01: the gauges read the database that often.")
            .ValidateOnStart();
        // The gauges are made in CommsHubMetrics' static constructor: run it now, so an idle process exports them
        // too (otherwise they appear only once something is sent).
        RuntimeHelpers.RunClassConstructor(typeof(CommsHubMetrics).TypeHandle);
        // With the json formatter (Logging:Console:FormatterName=json) each line carries its scopes, among them
        // the trace and span ids the host puts there: in the Api and the Worker alike.
        services.Configure<JsonConsoleFormatterOptions>(o => o.IncludeScopes = true);
        services.AddHttpClient(QueueDepthReader.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(5));
        // HttpClientFactory's own log lines print every request's URL, at Information: a subscriber's webhook
        // address, a chat webhook's secret path. The HTTP spans and metrics say the same without them.
        services.ConfigureHttpClientDefaults(b => b.RemoveAllLoggers());
        services.MarkSecretUrls();
        services.AddSingleton<QueueDepthReader>();
        var otlp = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]);
        var serving = MetricsOptions.IsEnabled(configuration) && roles.Api;
        if (serving || otlp)
        {
            services.AddHostedService<TelemetrySampler>();
        }

        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("commshub", serviceInstanceId: Environment.MachineName)
                .AddAttributes([new("commshub.roles", roles.Api && roles.Worker ? "all" : roles.Api ? "api" : "worker")]))
            .WithTracing(t =>
            {
                t.AddSource(CommsHubMetrics.Name, DiagnosticHeaders.DefaultListenerName)
                    .AddHttpClientInstrumentation(o =>
                    {
                        o.FilterHttpRequestMessage = r => r.RequestUri?.AbsolutePath.StartsWith("/api/queues", StringComparison.Ordinal) != true;
                        o.EnrichWithHttpRequestMessage = SecretUrls.Redact;
                    })
                    .AddNpgsql();
                if (otlp)
                {
                    t.AddOtlpExporter();
                }
            })
            .WithMetrics(m =>
            {
                m.AddMeter(CommsHubMetrics.Name, InstrumentationOptions.MeterName, "Npgsql")
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
                if (otlp)
                {
                    m.AddOtlpExporter();
                }
            });
        return services;
    }
}
