using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Serialization;
using CommsHub.Core.Messaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Telemetry;

/// <summary>
/// Queue depths from the RabbitMQ management API: one GET of the virtual host's queues per sample, only
/// the three columns needed. AMQP has no cheap way to list queues (a passive declare per queue, on a
/// channel of its own), and the in-memory transport has no queues to count, so without
/// <see cref="MetricsOptions.RabbitMqManagementUrl"/> there are no queue gauges.
/// </summary>
public sealed class QueueDepthReader(
    IHttpClientFactory clients,
    IOptions<MetricsOptions> options,
    IConfiguration configuration,
    ILogger<QueueDepthReader> logger)
{
    public const string HttpClientName = "rabbitmq-management";

    public async Task<IReadOnlyList<QueueDepth>> ReadAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(options.Value.RabbitMqManagementUrl) || !Uri.TryCreate(options.Value.RabbitMqManagementUrl, UriKind.Absolute, out var management))
        {
            return [];
        }
        var amqp = configuration.GetConnectionString("RabbitMq") is { Length: > 0 } rabbit ? RabbitMqAddress.Parse(rabbit) : null;
        var (user, password) = management.UserInfo is { Length: > 0 } info && info.Split(':', 2) is [var u, var p]
            ? (Uri.UnescapeDataString(u), Uri.UnescapeDataString(p))
            : (amqp?.Username ?? "guest", amqp?.Password ?? "guest");
        var vhost = Uri.EscapeDataString(amqp?.VirtualHost ?? "/");
        var url = new Uri(new Uri(management.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/"),
            $"api/queues/{vhost}?columns=name,messages_ready,messages_unacknowledged");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        try
        {
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            response.EnsureSuccessStatusCode();
            var queues = await response.Content.ReadFromJsonAsync<List<ManagementQueue>>(cancellationToken) ?? [];
            return [.. queues.Select(q => new QueueDepth(q.Name, q.MessagesReady, q.MessagesUnacknowledged))];
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Reading queue depths from the RabbitMQ management API failed: {Error}", ex.Message);
            return [];
        }
    }

    private sealed record ManagementQueue(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("messages_ready")] long MessagesReady,
        [property: JsonPropertyName("messages_unacknowledged")] long MessagesUnacknowledged);
}
