using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using Microsoft.AspNetCore.WebUtilities;
using CommsHub.Core.Deliveries;

namespace CommsHub.Core.Channels.Social;

/// <summary>A network's answer, read whole: status, body (JSON when it is JSON) and how long it asked us to wait.</summary>
internal sealed record SocialAnswer(int Status, string Body, JsonNode? Json, TimeSpan? RetryAfter)
{
    public bool IsSuccess => Status is >= 200 and < 300;

    public string? Text(string property) => Json is JsonObject o && o[property] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

/// <summary>How all three networks are called and how their answers become delivery outcomes, in one place.</summary>
internal static class SocialHttp
{
    private const int MaxErrorLength = 1000;

    public static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    public static async Task<SocialAnswer> ExchangeAsync(HttpClient client, HttpRequestMessage request, TimeProvider time, CancellationToken ct)
    {
        request.Headers.UserAgent.ParseAdd("CommsHub/1.0");
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await client.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        JsonNode? json = null;
        try
        {
            json = body.Length > 0 ? JsonNode.Parse(body) : null;
        }
        catch (JsonException)
        {
            // A proxy's HTML error page: the status still says what happened.
        }
        return new SocialAnswer((int)response.StatusCode, body, json, RetryAfter(response, time.GetUtcNow()));
    }

    public static SocialPostResult Sent(string provider, SocialPostRef post, int status, TimeSpan latency) =>
        new(new SendResult(DeliveryStatus.Sent, provider, post.Serialize(), status, Latency: latency), post);

    /// <summary>
    /// The post was accepted but the answer did not say where it is. Sent is the truth (a retry would post
    /// twice); the thread just cannot continue from it.
    /// </summary>
    public static SocialPostResult SentUnreadable(string provider, string network, SocialAnswer answer, TimeSpan latency) =>
        new(new SendResult(DeliveryStatus.Sent, provider, HttpStatus: answer.Status, Latency: latency,
            Error: $"{network} accepted the post but its answer did not name it: {Shorten(answer.Body)}"), null);

    /// <summary>429, 408 and 5xx are retried (after Retry-After when given); any other refusal is permanent.</summary>
    public static SocialPostResult Refused(string provider, string network, SocialAnswer answer, string? detail, string? errorCode, TimeSpan latency)
    {
        var transient = answer.Status is 408 or 429 || answer.Status >= 500;
        var reason = !string.IsNullOrWhiteSpace(detail) ? detail.Trim()
            : answer.Json is null && answer.Body.Length > 0 ? Shorten(answer.Body)
            : ReasonPhrase(answer.Status);
        return new(new SendResult(transient ? DeliveryStatus.Queued : DeliveryStatus.Failed, provider, HttpStatus: answer.Status,
            Error: Shorten($"{network} answered {answer.Status}: {reason}"), Transient: transient, Latency: latency,
            ErrorCode: errorCode, RetryAfter: transient ? answer.RetryAfter : null), null);
    }

    public static SocialPostResult Off(string provider, string section) =>
        new(new SendResult(DeliveryStatus.Failed, provider, Error: $"{section} is not configured (any more): nothing was posted."), null);

    /// <summary>Refused, reset or timed out: the network never answered, so the post is retried. Our own cancellation is not this.</summary>
    public static bool IsUnreachable(Exception ex, CancellationToken ct) =>
        ex is HttpRequestException || (ex is TaskCanceledException or TimeoutException && !ct.IsCancellationRequested);

    public static SocialPostResult Unreachable(string provider, string network, Exception ex, TimeSpan timeout, TimeSpan latency)
    {
        var reason = ex is TaskCanceledException or TimeoutException
            ? $"no answer within {timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s"
            : ex.Message;
        return new(new SendResult(DeliveryStatus.Queued, provider, Error: $"{network} unreachable: {reason}", Transient: true, Latency: latency), null);
    }

    /// <summary>
    /// How long the network asked us to wait: Retry-After (seconds or an HTTP date), else the
    /// rate-limit reset time X (x-rate-limit-reset, epoch seconds), Mastodon (X-RateLimit-Reset, an
    /// ISO 8601 time) and Bluesky (ratelimit-reset, epoch seconds) send.
    /// </summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage response, DateTimeOffset now)
    {
        if (Resilience.RetryAfterHeader.Parse(response.Headers, now) is { } wait)
        {
            return wait;
        }
        foreach (var name in (string[])["x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset"])
        {
            if (Header(response.Headers, name) is not { } value)
            {
                continue;
            }
            if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
            {
                return Until(DateTimeOffset.FromUnixTimeSeconds(epoch), now);
            }
            if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                return Until(at, now);
            }
        }
        return null;
    }

    private static TimeSpan Until(DateTimeOffset at, DateTimeOffset now) => at > now ? at - now : TimeSpan.Zero;

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault()?.Trim() : null;

    private static string ReasonPhrase(int status) => ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "no explanation";

    private static string Shorten(string text) => text.Length <= MaxErrorLength ? text : text[..MaxErrorLength] + "…";
}
