using System.Diagnostics;
using System.Net;
using System.Text;
using CommsHub.Core.Common;

namespace CommsHub.Core.Channels.Webhook;

/// <summary>
/// POSTs one signed JSON event to a subscriber's endpoint through the SSRF-guarded client and
/// says what happened: 2xx sent; 410 gone (the subscriber asked us to stop); 408, 429, 5xx and
/// network failures transient; any other answer, or a target that resolves somewhere forbidden,
/// permanent.
/// </summary>
public sealed class WebhookPoster(IHttpClientFactory httpClients, TimeProvider time)
{
    public const string Provider = "webhook";

    public async Task<SendResult> PostAsync(string url, string secret, string messageId, string json, CancellationToken cancellationToken)
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
            using var response = await httpClients.CreateClient(WebhookHttp.HttpClientName).SendAsync(request, cancellationToken);
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
                RetryAfter: RetryAfter(response, time.GetUtcNow()));
        }
        catch (HttpRequestException ex) when (WebhookTargetRefusedException.IsIn(ex))
        {
            return new SendResult(DeliveryStatus.Failed, Provider, messageId, Error: ex.Message, Latency: Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new SendResult(DeliveryStatus.Queued, Provider, messageId, Error: $"The endpoint could not be reached: {ex.Message}",
                Transient: true, Latency: Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>The answer's Retry-After (seconds or an HTTP date), if any: the earliest time to call again.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, DateTimeOffset now)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }
        if (header?.Date is { } date)
        {
            return date > now ? date - now : TimeSpan.Zero;
        }
        return null;
    }
}
