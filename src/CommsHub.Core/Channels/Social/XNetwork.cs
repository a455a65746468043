using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using CommsHub.Core.Incidents;

namespace CommsHub.Core.Channels.Social;

/// <summary>
/// Posts through X API v2 (<c>POST /2/tweets</c>), signed with OAuth 1.0a user context. X takes no
/// idempotency key: a retry after a time-out that X did act on is refused as duplicate content (403),
/// which we report as such rather than guess.
/// </summary>
public sealed class XNetwork(IHttpClientFactory httpClients, IOptions<XOptions> options, OAuth1Signer signer, TimeProvider time) : ISocialNetwork
{
    public const string HttpClientName = "social-x";
    private const string Network = "X";
    private readonly XOptions _options = options.Value;

    public string Name => "x";
    public bool IsConfigured => _options.IsConfigured;
    public string Account => _options.Account;
    public int Limit => SocialMedium.X.Limit;

    public SocialText Render(UpdateContent content, bool isFollowUp) => SocialRenderer.Render(SocialMedium.X, content, isFollowUp);

    public async Task<SocialPostResult> PostAsync(SocialText text, UpdateContent content, SocialThread? replyTo, string idempotencyKey, CancellationToken ct)
    {
        if (!IsConfigured)
        {
            return SocialHttp.Off(Name, XOptions.Section);
        }
        var body = new JsonObject { ["text"] = text.Text };
        if (replyTo is not null)
        {
            body["reply"] = new JsonObject { ["in_reply_to_tweet_id"] = replyTo.Parent.Id };
        }
        var url = SocialSettings.Endpoint(_options.BaseUrl, "2/tweets");
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = SocialHttp.Json(body) };
        // The JSON body is not part of the signature: only query and form parameters are.
        request.Headers.TryAddWithoutValidation("Authorization", signer.AuthorizationHeader(HttpMethod.Post, url, _options.Credentials));

        var started = Stopwatch.GetTimestamp();
        try
        {
            var answer = await SocialHttp.ExchangeAsync(httpClients.CreateClient(HttpClientName), request, time, ct);
            var latency = Stopwatch.GetElapsedTime(started);
            if (!answer.IsSuccess)
            {
                var (detail, code) = Problem(answer);
                return SocialHttp.Refused(Name, Network, answer, detail, code, latency);
            }
            return answer.Json?["data"]?["id"] is JsonValue id && id.TryGetValue<string>(out var tweetId) && tweetId.Length > 0
                ? SocialHttp.Sent(Name, new SocialPostRef(tweetId), answer.Status, latency)
                : SocialHttp.SentUnreadable(Name, Network, answer, latency);
        }
        catch (Exception ex) when (SocialHttp.IsUnreachable(ex, ct))
        {
            return SocialHttp.Unreachable(Name, Network, ex, _options.Timeout, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>
    /// X answers v2 problems (<c>{title, detail, type}</c>) and, from older paths, <c>{errors: [{code, message}]}</c>.
    /// </summary>
    private static (string? Detail, string? Code) Problem(SocialAnswer answer)
    {
        var first = answer.Json?["errors"] is JsonArray { Count: > 0 } errors ? errors[0] : null;
        var detail = answer.Text("detail") ?? first?["message"]?.ToString() ?? answer.Text("title");
        var code = first?["code"]?.ToString() ?? (answer.Text("type") is { } type && type != "about:blank" ? type : null);
        if (answer.Status == 403 && detail?.Contains("duplicate", StringComparison.OrdinalIgnoreCase) == true)
        {
            detail += " (an earlier attempt of this delivery may already have posted it)";
        }
        return (detail, code);
    }
}
