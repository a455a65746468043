using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CommsHub.Api.Infrastructure;

/// <summary>Readiness as JSON, naming each check, so an operator sees which dependency is down.</summary>
internal static class HealthResponse
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonSerializerOptions.Web));
    }
}
