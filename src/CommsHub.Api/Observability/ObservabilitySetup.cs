using CommsHub.Core.Hosting;
using CommsHub.Core.Telemetry;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Scalar.AspNetCore;

namespace CommsHub.Api.Observability;

/// <summary>
/// What an operator reads the running hub with: metrics and traces (OpenTelemetry, Prometheus at
/// <c>/metrics</c>), logs with trace ids, the OpenAPI document with its reader, and the webhook guide.
/// </summary>
internal static class ObservabilitySetup
{
    public const string MetricsPath = "/metrics";
    public const string ApiReferencePath = "/docs/api";
    public const string OpenApiPath = "/openapi/{documentName}.json";

    public static WebApplicationBuilder AddCommsHubObservability(this WebApplicationBuilder builder)
    {
        builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddAspNetCoreInstrumentation(o =>
            // A scrape every few seconds is no request worth a trace.
            o.Filter = http => !http.Request.Path.StartsWithSegments(MetricsPath) && !http.Request.Path.StartsWithSegments("/health")));
        builder.Services.ConfigureOpenTelemetryMeterProvider(m =>
        {
            m.AddAspNetCoreInstrumentation();
            if (MetricsOptions.IsEnabled(builder.Configuration))
            {
                m.AddPrometheusExporter();
            }
        });
        builder.Services.AddCommsHubOpenApi();
        return builder;
    }

    public static WebApplication MapCommsHubObservability(this WebApplication app, CommsHubRoles roles)
    {
        if (MetricsOptions.IsEnabled(app.Configuration))
        {
            // Unauthenticated, as Prometheus expects: it tells counts and timings, never a subscriber or a secret.
            // Restrict it at the proxy or with a NetworkPolicy (docs/operations.md, "Metrics").
            app.MapPrometheusScrapingEndpoint(MetricsPath);
        }
        if (!roles.Api)
        {
            return app;
        }
        app.MapOpenApi(OpenApiPath).ExcludeFromDescription();
        app.MapScalarApiReference(ApiReferencePath, o => o
            .WithTitle("CommsHub API")
            .WithOpenApiRoutePattern(OpenApiPath)
            // Nothing from another host: the script is the package's own copy, served from here; no web fonts, no telemetry.
            .DisableDefaultFonts()
            .DisableTelemetry())
            .ExcludeFromDescription();
        app.MapWebhookGuide();
        return app;
    }
}
