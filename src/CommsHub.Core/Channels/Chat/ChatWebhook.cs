using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Incidents;

namespace CommsHub.Core.Channels.Chat;

/// <summary>
/// What the three webhooks share: the target label and the POST with its answer mapping. 2xx is sent;
/// 408, 429 and 5xx, network failures and time-outs are transient, with the provider's Retry-After; any
/// other answer is permanent (Slack answers a revoked hook with 404 or 410: retrying cannot help).
/// </summary>
public abstract class ChatWebhook(string name, string displayName, string? webhookUrl, IHttpClientFactory httpClients, TimeProvider time)
    : IChatWebhook
{
    private const int MaxErrorText = 500;

    // Providers take JSON, not HTML: escaping <, > and & as \u003C and friends would only make the preview unreadable.
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Uri? _url = ChatOptions.Parse(webhookUrl);

    public string Name { get; } = name;

    public bool IsConfigured => _url is not null;

    public string Target => _url is null ? "" : TargetOf(Name, _url);

    public string RenderBody(UpdateContent content) => Render(content).Json;

    public abstract ChatBody Render(UpdateContent content);

    public async Task<SendResult> PostAsync(string body, CancellationToken ct)
    {
        var url = _url ?? throw new InvalidOperationException(
            $"{displayName} has no webhook URL: set Channels:Chat:{displayName}:WebhookUrl before posting to it.");
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        var client = httpClients.CreateClient(ChatSetup.HttpClientName);
        var started = time.GetTimestamp();
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var status = (int)response.StatusCode;
            var text = await ReadBodyAsync(response, ct);
            var latency = time.GetElapsedTime(started);
            if (response.IsSuccessStatusCode)
            {
                return new SendResult(DeliveryStatus.Sent, Name, MessageIdOf(response, text), status, Latency: latency);
            }

            var transient = status is 408 or 429 || status >= 500;
            var error = text.Length == 0 ? $"{displayName} answered {status}." : $"{displayName} answered {status}: {Shorten(text)}";
            if (status is >= 300 and < 400)
            {
                // Never followed: the target is what the operator configured, and a redirect could be anywhere.
                error = $"{displayName} answered {status} (a redirect, not followed): check Channels:Chat:{displayName}:WebhookUrl.";
            }
            return new SendResult(transient ? DeliveryStatus.Queued : DeliveryStatus.Failed, Name, HttpStatus: status, Error: error,
                Transient: transient, Latency: latency, ErrorCode: ErrorCodeOf(text), RetryAfter: RetryAfterOf(response, text));
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new SendResult(DeliveryStatus.Queued, Name,
                Error: $"{displayName} did not answer within {client.Timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s.",
                Transient: true, Latency: time.GetElapsedTime(started));
        }
        catch (HttpRequestException ex)
        {
            // The message names host and port at most (never the secret path), and says what failed.
            return new SendResult(DeliveryStatus.Queued, Name, Error: $"{displayName} could not be reached: {ex.Message}",
                Transient: true, Latency: time.GetElapsedTime(started));
        }
    }

    /// <summary>The provider's own error code in an error answer, when it has one.</summary>
    protected virtual string? ErrorCodeOf(string body) => null;

    /// <summary>The id of the posted message, when the provider returns one.</summary>
    protected virtual string? MessageIdOf(HttpResponseMessage response, string body) => null;

    /// <summary>A wait the provider asked for in its answer body, on top of the Retry-After header.</summary>
    protected virtual TimeSpan? RetryAfterInBody(string body) => null;

    protected static string Serialize(JsonNode node) => node.ToJsonString(Json);

    /// <summary>"Major impact", "No impact": impact in words, never by colour alone.</summary>
    protected static string ImpactText(Impact impact) => $"{Labels.Of(impact)} impact";

    /// <summary>"Playback: Partial outage" for each affected component, unescaped.</summary>
    protected static IReadOnlyList<string> ComponentItems(UpdateContent content) =>
        content.Components.Select(c => $"{ChatText.Clean(c.Name)}: {Labels.Of(c.Status)}").ToList();

    /// <summary>A JSON string or number as text (providers send error codes as either), else null.</summary>
    protected static string? TextOf(JsonNode? node) => node switch
    {
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonValue value when value.TryGetValue<long>(out var number) => number.ToString(CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>The body as a JSON object, or null when it is not one.</summary>
    protected static JsonObject? ParseObject(string body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary><c>name:host/…/last4</c>: enough to tell two hooks apart, too little to post with.</summary>
    internal static string TargetOf(string name, Uri url)
    {
        var secret = url.PathAndQuery.TrimEnd('/');
        // A short path would give away too large a share of itself in four characters.
        return secret.Length >= 16 ? $"{name}:{url.IdnHost}/…/{secret[^4..]}" : $"{name}:{url.IdnHost}/…";
    }

    private TimeSpan? RetryAfterOf(HttpResponseMessage response, string body)
    {
        var header = Resilience.RetryAfterHeader.Parse(response.Headers, time.GetUtcNow());
        var inBody = RetryAfterInBody(body);
        // Both are a "not before"; the later one is the one the provider enforces.
        TimeSpan? wait = header is null ? inBody : inBody is null ? header : header > inBody ? header : inBody;
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }

    private static async Task<string> ReadBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            return (await AnswerBody.ReadPrefixAsync(response.Content, ct)).Trim();
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            // The status is the answer; a body cut short must not turn a posted message into a retried
            // duplicate, nor a refusal into an unexplained failure.
            return "";
        }
    }

    private static string Shorten(string text) => text.Length <= MaxErrorText ? text : text[..MaxErrorText] + ChatLimits.Ellipsis;
}
