using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace CommsHub.Testing;

/// <summary>One POST /api/v1/statuses as the fake received it, with what it answered.</summary>
public sealed record MastodonRequest(
    int Ordinal, string Path, string? Authorization, string? IdempotencyKey, string? ContentType, JsonNode? Body, int Status, string? StatusId)
{
    public string? Text => Body?["status"]?.GetValue<string>();
    public string? Visibility => Body?["visibility"]?.GetValue<string>();
    public string? InReplyToId => Body?["in_reply_to_id"]?.GetValue<string>();
}

/// <summary>
/// A loopback stand-in for a Mastodon server's <c>POST /api/v1/statuses</c>. Like Mastodon it answers
/// 401 to any token but <see cref="AccessToken"/>, 422 to a status over 500 characters, and, for an
/// Idempotency-Key it has seen, the status it created then instead of a new one. <see cref="Answer"/>
/// overrides the answer to the n-th request (1-based) with a status and headers (Retry-After, say).
/// </summary>
public sealed class MastodonFake : IDisposable
{
    public const string AccessToken = "mastodon-test-token-0123456789";

    private readonly ConcurrentBag<MastodonRequest> _received = [];
    private readonly ConcurrentDictionary<string, string> _byIdempotencyKey = new();
    private int _count;
    private int _arrived;
    private long _nextId = 113_000_000_000_000_000;

    public MastodonFake()
    {
        Server = WireMockServer.Start();
        Server.Given(Request.Create().WithPath("/api/v1/statuses").UsingPost()).RespondWith(Response.Create().WithCallback(Respond));
    }

    public WireMockServer Server { get; }
    public string Url => Server.Url!;

    public Func<int, (int Status, IReadOnlyDictionary<string, string>? Headers)?> Answer { get; set; } = _ => null;

    /// <summary>How long each answer takes, so a test can act while a post is on the wire.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Posts received so far, counted on arrival (before any <see cref="Delay"/>).</summary>
    public int Arrived => Volatile.Read(ref _arrived);

    public IReadOnlyList<MastodonRequest> Requests => _received.OrderBy(r => r.Ordinal).ToList();

    /// <summary>The statuses that exist: one per Idempotency-Key.</summary>
    public int StatusesCreated => _byIdempotencyKey.Count;

    public void Dispose() => Server.Stop();

    private ResponseMessage Respond(IRequestMessage request)
    {
        Interlocked.Increment(ref _arrived);
        if (Delay > TimeSpan.Zero)
        {
            Thread.Sleep(Delay);
        }
        var n = Interlocked.Increment(ref _count);
        var authorization = Header(request, "Authorization");
        var key = Header(request, "Idempotency-Key");
        JsonNode? body = null;
        try
        {
            body = JsonNode.Parse(request.Body ?? "");
        }
        catch (JsonException)
        {
        }
        var text = body?["status"]?.GetValue<string>() ?? "";

        var overridden = Answer(n);
        int status;
        string json;
        string? id = null;
        if (overridden is { } answer)
        {
            status = answer.Status;
            json = status is >= 200 and < 300 ? StatusJson(id = NewId(), text, body) : ErrorJson(status);
        }
        else if (authorization != $"Bearer {AccessToken}")
        {
            (status, json) = (401, ErrorJson(401));
        }
        else if (text.EnumerateRunes().Count() > 500)
        {
            (status, json) = (422, ErrorJson(422));
        }
        else
        {
            id = key is null ? NewId() : _byIdempotencyKey.GetOrAdd(key, _ => NewId());
            (status, json) = (200, StatusJson(id, text, body));
        }
        _received.Add(new MastodonRequest(n, request.Path, authorization, key, Header(request, "Content-Type"), body, status, id));

        var headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new(status >= 500 ? "text/html" : "application/json") };
        foreach (var (name, value) in overridden?.Headers ?? new Dictionary<string, string>())
        {
            headers[name] = new(value);
        }
        return new ResponseMessage
        {
            StatusCode = status,
            Headers = headers,
            BodyData = new BodyData { BodyAsString = json, DetectedBodyType = BodyType.String },
        };
    }

    private string NewId() => Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);

    private string StatusJson(string id, string text, JsonNode? body) => new JsonObject
    {
        ["id"] = id,
        ["created_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        ["in_reply_to_id"] = body?["in_reply_to_id"]?.GetValue<string>(),
        ["visibility"] = body?["visibility"]?.GetValue<string>() ?? "public",
        ["uri"] = $"{Url}/users/status/statuses/{id}",
        ["url"] = $"{Url}/@status/{id}",
        ["content"] = $"<p>{System.Net.WebUtility.HtmlEncode(text)}</p>",
    }.ToJsonString();

    // Mastodon's own wording where tests look at it; a 5xx comes from the proxy in front, as HTML.
    private static string ErrorJson(int status) => status switch
    {
        401 => """{"error":"The access token is invalid"}""",
        422 => """{"error":"Validation failed: Text character limit of 500 exceeded"}""",
        429 => """{"error":"Too many requests"}""",
        >= 500 => $"<html><body><h1>{status} from the proxy</h1></body></html>",
        _ => """{"error":"Fake Mastodon error"}""",
    };

    private static string? Header(IRequestMessage request, string name) =>
        request.Headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();
}
