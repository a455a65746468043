using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using CommsHub.Core.Incidents;

namespace CommsHub.Core.Channels.Social;

/// <summary>
/// Posts a public status through Mastodon's REST API. Mastodon honours Idempotency-Key for an hour:
/// a retried delivery gets the status its first attempt created instead of a second one.
/// </summary>
public sealed class MastodonNetwork(IHttpClientFactory httpClients, IOptions<MastodonOptions> options, TimeProvider time) : ISocialNetwork
{
    public const string HttpClientName = "social-mastodon";
    private const string Network = "Mastodon";
    private readonly MastodonOptions _options = options.Value;

    public string Name => "mastodon";
    public bool IsConfigured => _options.IsConfigured;
    public string Account => _options.Account;
    public int Limit => SocialMedium.Mastodon.Limit;

    public SocialText Render(UpdateContent content, bool isFollowUp) => SocialRenderer.Render(SocialMedium.Mastodon, content, isFollowUp);

    public async Task<SocialPostResult> PostAsync(SocialText text, UpdateContent content, SocialThread? replyTo, string idempotencyKey, CancellationToken ct)
    {
        if (!IsConfigured)
        {
            return SocialHttp.Off(Name, MastodonOptions.Section);
        }
        var body = new JsonObject { ["status"] = text.Text, ["visibility"] = "public" };
        if (replyTo is not null)
        {
            body["in_reply_to_id"] = replyTo.Parent.Id;
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, SocialSettings.Endpoint(_options.InstanceUrl, "api/v1/statuses"))
        {
            Content = SocialHttp.Json(body),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.AccessToken.Trim());
        request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);

        var started = Stopwatch.GetTimestamp();
        try
        {
            var answer = await SocialHttp.ExchangeAsync(httpClients.CreateClient(HttpClientName), request, time, ct);
            var latency = Stopwatch.GetElapsedTime(started);
            if (!answer.IsSuccess)
            {
                // Mastodon explains itself as {"error": "..."}, e.g. "Validation failed: Text character limit of 500 exceeded".
                return SocialHttp.Refused(Name, Network, answer, answer.Text("error"), null, latency);
            }
            return answer.Text("id") is { Length: > 0 } id
                ? SocialHttp.Sent(Name, new SocialPostRef(id), answer.Status, latency)
                : SocialHttp.SentUnreadable(Name, Network, answer, latency);
        }
        catch (Exception ex) when (SocialHttp.IsUnreachable(ex, ct))
        {
            return SocialHttp.Unreachable(Name, Network, ex, _options.Timeout, Stopwatch.GetElapsedTime(started));
        }
    }
}
