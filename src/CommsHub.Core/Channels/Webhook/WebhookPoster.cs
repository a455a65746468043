using System.Diagnostics;
using System.Net;
using System.Text;
using CommsHub.Core.Channels.Resilience;
using CommsHub.Core.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using CommsHub.Core.Deliveries;

namespace CommsHub.Core.Channels.Webhook;

/// <summary>
/// POSTs one signed JSON event to a subscriber's endpoint through the SSRF-guarded client and
/// says what happened: 2xx sent; 410 gone (the subscriber asked us to stop); 408, 429, 5xx and
/// network failures transient; any other answer, or a target that resolves somewhere forbidden,
/// permanent. Each target origin has its own circuit (<see cref="TargetCircuits"/>): while it is open,
/// or the target's Retry-After runs, the answer is <see cref="SendResult.Held"/> and nothing is posted.
/// </summary>
public sealed class WebhookPoster(IHttpClientFactory httpClients, IOptions<WebhookOptions> options, TimeProvider time, ILogger<WebhookPoster> logger)
{
    public const string Provider = "webhook";

    private readonly TargetCircuits _circuits = new(Provider, options.Value.CircuitBreaker, time, logger);

    /// <summary>The circuit of the url's origin (scheme, host, port).</summary>
    public ProviderCircuit CircuitFor(string url) => _circuits.For(new Uri(url));

    public Task<SendResult> PostAsync(string url, string secret, string messageId, string json, CancellationToken cancellationToken) =>
        CircuitFor(url).SendAsync(ct => PostOnceAsync(url, secret, messageId, json, ct), cancellationToken);

    private async Task<SendResult> PostOnceAsync(string url, string secret, string messageId, string json, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in WebhookSigner.Headers(secret, messageId, time.GetUtcNow(), json))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        request.Headers.UserAgent.ParseAdd("CommsHub-Webhooks/1.0");

        var started = Stopwatch.GetTimestamp();
        try
        {
            // The status and headers are the answer; the body is never read (a subscriber's endpoint may answer gigabytes).
            using var response = await httpClients.CreateClient(WebhookHttp.HttpClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;
            var latency = Stopwatch.GetElapsedTime(started);
            if (response.IsSuccessStatusCode)
            {
                return new SendResult(DeliveryStatus.Sent, Provider, messageId, status, Latency: latency);
            }
            var transient = status is 408 or 429 || status >= 500;
            var error = response.StatusCode == HttpStatusCode.Gone
                ? "The endpoint answered 410 Gone: it no longer accepts events."
                : $"The endpoint answered {status}.";
            return new SendResult(transient ? DeliveryStatus.Queued : DeliveryStatus.Failed, Provider, messageId, status, error, transient, latency,
                RetryAfter: transient ? RetryAfterHeader.Parse(response.Headers, time.GetUtcNow()) : null);
        }
        catch (HttpRequestException ex) when (WebhookTargetRefusedException.IsIn(ex))
        {
            return new SendResult(DeliveryStatus.Failed, Provider, messageId, Error: ex.Message, Latency: Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var reason = ex is TaskCanceledException ? $"no answer within {options.Value.Timeout.TotalSeconds:0.#} s" : ex.Message;
            return new SendResult(DeliveryStatus.Queued, Provider, messageId, Error: $"The endpoint could not be reached: {reason}",
                Transient: true, Latency: Stopwatch.GetElapsedTime(started));
        }
    }
}
