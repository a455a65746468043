using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace CommsHub.Testing;

/// <summary>One POST /2/tweets as the fake received it: the raw Authorization header, its OAuth parameters, the JSON, the answer.</summary>
public sealed record XRequest(
    int Ordinal, string Method, string Url, string? Authorization, IReadOnlyDictionary<string, string> OAuth, JsonNode? Body, int Status, string? TweetId)
{
    public string? Text => Body?["text"]?.GetValue<string>();
    public string? InReplyToTweetId => Body?["reply"]?["in_reply_to_tweet_id"]?.GetValue<string>();
}

/// <summary>
/// A loopback stand-in for X API v2's <c>POST /2/tweets</c>. It checks the OAuth 1.0a HMAC-SHA1
/// signature itself, with its own implementation, and answers 401 when it does not match the
/// <see cref="ConsumerKey"/>/<see cref="AccessToken"/> pairs below; 403 "duplicate content" for a text it has
/// already posted; otherwise 201 with <c>{data: {id, text}}</c>. <see cref="Answer"/> overrides the answer
/// to the n-th request (1-based), with headers such as x-rate-limit-reset.
/// </summary>
public sealed class XFake : IDisposable
{
    public const string ConsumerKey = "xvz1evFS4wEEPTGEFPHBog";
    public const string ConsumerSecret = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
    public const string AccessToken = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb";
    public const string AccessTokenSecret = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";

    private readonly ConcurrentBag<XRequest> _received = [];
    private readonly ConcurrentDictionary<string, string> _posted = new(); // text → id
    private int _count;
    private long _nextId = 1_860_000_000_000_000_000;

    public XFake()
    {
        Server = WireMockServer.Start();
        Server.Given(Request.Create().WithPath("/2/tweets").UsingPost()).RespondWith(Response.Create().WithCallback(Respond));
    }

    public WireMockServer Server { get; }
    public string Url => Server.Url!;

    public Func<int, (int Status, IReadOnlyDictionary<string, string>? Headers)?> Answer { get; set; } = _ => null;

    public IReadOnlyList<XRequest> Requests => _received.OrderBy(r => r.Ordinal).ToList();

    public void Dispose() => Server.Stop();

    private ResponseMessage Respond(IRequestMessage request)
    {
        var n = Interlocked.Increment(ref _count);
        var authorization = request.Headers?.FirstOrDefault(h => string.Equals(h.Key, "Authorization", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();
        var oauth = ParseOAuth(authorization);
        JsonNode? body = null;
        try
        {
            body = JsonNode.Parse(request.Body ?? "");
        }
        catch (JsonException)
        {
        }
        var text = body?["text"]?.GetValue<string>() ?? "";

        var overridden = Answer(n);
        int status;
        JsonNode json;
        string? id = null;
        if (overridden is { } answer)
        {
            status = answer.Status;
            json = status is >= 200 and < 300 ? Created(id = NewId(), text) : Problem(status);
        }
        else if (!SignatureMatches(request.Method, request.Url, oauth))
        {
            (status, json) = (401, Problem(401));
        }
        else if (_posted.ContainsKey(text))
        {
            (status, json) = (403, Problem(403));
        }
        else
        {
            id = _posted.GetOrAdd(text, _ => NewId());
            (status, json) = (201, Created(id, text));
        }
        _received.Add(new XRequest(n, request.Method, request.Url, authorization, oauth, body, status, id));

        var headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") };
        foreach (var (name, value) in overridden?.Headers ?? new Dictionary<string, string>())
        {
            headers[name] = new(value);
        }
        return new ResponseMessage
        {
            StatusCode = status,
            Headers = headers,
            BodyData = new BodyData { BodyAsString = json.ToJsonString(), DetectedBodyType = BodyType.String },
        };
    }

    /// <summary>The OAuth parameters of an <c>Authorization: OAuth k="v", …</c> header, decoded.</summary>
    public static Dictionary<string, string> ParseOAuth(string? header)
    {
        if (header is null || !header.StartsWith("OAuth ", StringComparison.Ordinal))
        {
            return [];
        }
        return header["OAuth ".Length..].Split(',')
            .Select(part => part.Trim().Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p[1].Trim('"')));
    }

    // RFC 5849 §3.4, written apart from the product's signer: a JSON body adds no parameters.
    private static bool SignatureMatches(string method, string url, Dictionary<string, string> oauth)
    {
        if (!oauth.TryGetValue("oauth_signature", out var signature) || oauth.GetValueOrDefault("oauth_consumer_key") != ConsumerKey
            || oauth.GetValueOrDefault("oauth_token") != AccessToken || oauth.GetValueOrDefault("oauth_signature_method") != "HMAC-SHA1")
        {
            return false;
        }
        var uri = new Uri(url);
        var parameters = oauth.Where(p => p.Key != "oauth_signature")
            .Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}")
            .Order(StringComparer.Ordinal);
        var baseString = string.Join('&', method.ToUpperInvariant(),
            Uri.EscapeDataString($"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}"), Uri.EscapeDataString(string.Join('&', parameters)));
        var key = Encoding.ASCII.GetBytes($"{Uri.EscapeDataString(ConsumerSecret)}&{Uri.EscapeDataString(AccessTokenSecret)}");
#pragma warning disable CA5350 // OAuth 1.0a is HMAC-SHA1 by definition.
        return Convert.ToBase64String(HMACSHA1.HashData(key, Encoding.ASCII.GetBytes(baseString))) == signature;
#pragma warning restore CA5350
    }

    private string NewId() => Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);

    private static JsonObject Created(string id, string text) =>
        new() { ["data"] = new JsonObject { ["id"] = id, ["text"] = text, ["edit_history_tweet_ids"] = new JsonArray(id) } };

    // X API v2 problem answers, in X's wording.
    private static JsonObject Problem(int status) => status switch
    {
        401 => new() { ["title"] = "Unauthorized", ["type"] = "about:blank", ["status"] = 401, ["detail"] = "Unauthorized" },
        403 => new()
        {
            ["detail"] = "You are not allowed to create a Tweet with duplicate content.",
            ["type"] = "about:blank", ["title"] = "Forbidden", ["status"] = 403,
        },
        429 => new() { ["title"] = "Too Many Requests", ["detail"] = "Too Many Requests", ["type"] = "about:blank", ["status"] = 429 },
        400 => new()
        {
            ["errors"] = new JsonArray(new JsonObject { ["message"] = "Your Tweet text is too long." }),
            ["title"] = "Invalid Request", ["detail"] = "One or more parameters to your request was invalid.",
            ["type"] = "https://api.twitter.com/2/problems/invalid-request",
        },
        _ => new() { ["title"] = "Service Unavailable", ["detail"] = "Service Unavailable", ["type"] = "about:blank", ["status"] = status },
    };
}
