using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using CommsHub.Core.Incidents;

namespace CommsHub.Core.Channels.Social;

/// <summary>
/// Posts an app.bsky.feed.post record through the AT Protocol XRPC API, with link facets (Bluesky
/// links nothing by itself) and reply references for follow-ups. Bluesky has no idempotency header, so
/// the record key is derived from the delivery (<see cref="BlueskyRecordKey"/>): a retry of a create
/// that did happen collides with the existing record. A PDS answers that collision with a 500 today (a
/// dedicated error is proposed), so after any 5xx, 409 or "exists" refusal we read the record at that
/// key: if it is there, the delivery is sent and the answer carries its real URI and CID.
/// </summary>
public sealed class BlueskyNetwork : ISocialNetwork, IDisposable
{
    public const string HttpClientName = "social-bluesky";
    private const string Network = "Bluesky";
    private const string Collection = "app.bsky.feed.post";

    private readonly IHttpClientFactory _httpClients;
    private readonly BlueskyOptions _options;
    private readonly TimeProvider _time;
    private readonly BlueskySessions _sessions;

    public BlueskyNetwork(IHttpClientFactory httpClients, IOptions<BlueskyOptions> options, TimeProvider time)
    {
        _httpClients = httpClients;
        _options = options.Value;
        _time = time;
        _sessions = new BlueskySessions(Client, _options, time);
    }

    public string Name => "bluesky";
    public bool IsConfigured => _options.IsConfigured;
    public string Account => _options.Account;
    public int Limit => SocialMedium.Bluesky.Limit;

    public SocialText Render(UpdateContent content, bool isFollowUp) => SocialRenderer.Render(SocialMedium.Bluesky, content, isFollowUp);

    public async Task<SocialPostResult> PostAsync(SocialText text, UpdateContent content, SocialThread? replyTo, string idempotencyKey, CancellationToken ct)
    {
        if (!IsConfigured)
        {
            return SocialHttp.Off(Name, BlueskyOptions.Section);
        }
        var rkey = BlueskyRecordKey.From(idempotencyKey);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var (session, refusal) = await _sessions.CurrentAsync(ct);
            if (session is null)
            {
                return LoginRefused(refusal!, Stopwatch.GetElapsedTime(started));
            }
            var answer = await CreateAsync(session, rkey, text.Text, content, replyTo, ct);
            if (IsStaleSession(answer))
            {
                var renewed = await _sessions.RenewAsync(session, ct);
                if (renewed.Session is null)
                {
                    return LoginRefused(renewed.Refusal!, Stopwatch.GetElapsedTime(started));
                }
                session = renewed.Session;
                answer = await CreateAsync(session, rkey, text.Text, content, replyTo, ct);
            }

            if (answer.IsSuccess)
            {
                return answer.Text("uri") is { } uri && answer.Text("cid") is { } cid && PostRef(uri, cid) is { } post
                    ? SocialHttp.Sent(Name, post, answer.Status, Stopwatch.GetElapsedTime(started))
                    : SocialHttp.SentUnreadable(Name, Network, answer, Stopwatch.GetElapsedTime(started));
            }
            if (MayAlreadyExist(answer) && await ExistingAsync(session, rkey, ct) is { } existing)
            {
                return SocialHttp.Sent(Name, existing, 200, Stopwatch.GetElapsedTime(started));
            }
            return SocialHttp.Refused(Name, Network, answer, answer.Text("message") ?? answer.Text("error"), answer.Text("error"),
                Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex) when (SocialHttp.IsUnreachable(ex, ct))
        {
            return SocialHttp.Unreachable(Name, Network, ex, _options.Timeout, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>The link facets of a post: UTF-8 byte ranges of each http(s) link, as the record schema counts them.</summary>
    internal static JsonArray Facets(string text)
    {
        var facets = new JsonArray();
        foreach (var link in SocialLinks.Find(text))
        {
            var byteStart = Encoding.UTF8.GetByteCount(text.AsSpan(0, link.Start));
            facets.Add(new JsonObject
            {
                ["index"] = new JsonObject { ["byteStart"] = byteStart, ["byteEnd"] = byteStart + Encoding.UTF8.GetByteCount(link.Url) },
                ["features"] = new JsonArray(new JsonObject { ["$type"] = "app.bsky.richtext.facet#link", ["uri"] = link.Url }),
            });
        }
        return facets;
    }

    public void Dispose() => _sessions.Dispose();

    private HttpClient Client() => _httpClients.CreateClient(HttpClientName);

    private Task<SocialAnswer> CreateAsync(BlueskySession session, string rkey, string text, UpdateContent content, SocialThread? replyTo, CancellationToken ct)
    {
        var record = new JsonObject
        {
            ["$type"] = Collection,
            ["text"] = text,
            // The update's own time, not the attempt's: every retry sends the same record.
            ["createdAt"] = content.PostedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["langs"] = new JsonArray("en"),
        };
        if (Facets(text) is { Count: > 0 } facets)
        {
            record["facets"] = facets;
        }
        // A thread reference without URI and CID (a post whose answer could not be read) cannot be replied to:
        // the update still goes out, as a post of its own.
        if (replyTo is { Root: { Uri: { } rootUri, Cid: { } rootCid }, Parent: { Uri: { } parentUri, Cid: { } parentCid } })
        {
            record["reply"] = new JsonObject
            {
                ["root"] = new JsonObject { ["uri"] = rootUri, ["cid"] = rootCid },
                ["parent"] = new JsonObject { ["uri"] = parentUri, ["cid"] = parentCid },
            };
        }
        var body = new JsonObject { ["repo"] = session.Did, ["collection"] = Collection, ["rkey"] = rkey, ["record"] = record };
        var request = new HttpRequestMessage(HttpMethod.Post, SocialSettings.Endpoint(_options.ServiceUrl, "xrpc/com.atproto.repo.createRecord"))
        {
            Content = SocialHttp.Json(body),
        };
        return SendAsync(request, session, ct);
    }

    private async Task<SocialPostRef?> ExistingAsync(BlueskySession session, string rkey, CancellationToken ct)
    {
        var query = $"repo={Uri.EscapeDataString(session.Did)}&collection={Collection}&rkey={rkey}";
        var request = new HttpRequestMessage(HttpMethod.Get, SocialSettings.Endpoint(_options.ServiceUrl, "xrpc/com.atproto.repo.getRecord?" + query));
        var answer = await SendAsync(request, session, ct);
        return answer.IsSuccess && answer.Text("uri") is { } uri && answer.Text("cid") is { } cid ? PostRef(uri, cid) : null;
    }

    private async Task<SocialAnswer> SendAsync(HttpRequestMessage request, BlueskySession session, CancellationToken ct)
    {
        using (request)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session.AccessJwt);
            return await SocialHttp.ExchangeAsync(Client(), request, _time, ct);
        }
    }

    private static SocialPostRef? PostRef(string uri, string cid)
    {
        var slash = uri.LastIndexOf('/');
        return slash >= 0 && slash < uri.Length - 1 && cid.Length > 0 ? new SocialPostRef(uri[(slash + 1)..], uri, cid) : null;
    }

    private static bool IsStaleSession(SocialAnswer answer) =>
        answer.Status is 400 or 401 && answer.Text("error") is "ExpiredToken" or "InvalidToken";

    private static bool MayAlreadyExist(SocialAnswer answer) =>
        answer.Status >= 500 || answer.Status == 409
        || $"{answer.Text("error")} {answer.Text("message")}".Contains("exist", StringComparison.OrdinalIgnoreCase);

    private SocialPostResult LoginRefused(SocialAnswer refusal, TimeSpan latency)
    {
        var reason = refusal.Text("message") ?? refusal.Text("error");
        var detail = $"could not log in as '{_options.Identifier.Trim()}'" + (reason is null ? "" : $": {reason}")
            + (refusal.Status == 401 ? $" — check {BlueskyOptions.Section}:Identifier and :AppPassword." : "");
        return SocialHttp.Refused(Name, Network, refusal, detail, refusal.Text("error"), latency);
    }
}
