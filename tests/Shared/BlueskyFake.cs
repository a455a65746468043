using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace CommsHub.Testing;

/// <summary>One XRPC call as the fake received it, with what it answered.</summary>
public sealed record BlueskyRequest(int Ordinal, string Method, string Path, IReadOnlyDictionary<string, string> Query, string? Authorization, JsonNode? Body, int Status)
{
    public string Xrpc => Path["/xrpc/".Length..];
    public JsonNode? Record => Body?["record"];
}

/// <summary>A post the fake's repository holds.</summary>
public sealed record BlueskyRecord(string Uri, string Cid, JsonNode Value);

/// <summary>
/// A loopback stand-in for a Bluesky PDS: createSession, refreshSession, createRecord and getRecord,
/// behaving as bsky.social does — tokens checked, <c>400 ExpiredToken</c> once <see cref="ExpireAccessTokens"/>
/// is called, and a create at a record key that already exists answered <c>500 InternalServerError</c>
/// (today's PDS behaviour). <see cref="Answer"/> overrides the answer to the n-th createRecord (1-based).
/// </summary>
public sealed class BlueskyFake : IDisposable
{
    public const string Handle = "status.example.com";
    public const string Did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
    public const string AppPassword = "abcd-efgh-ijkl-mnop";

    private readonly ConcurrentBag<BlueskyRequest> _received = [];
    private readonly ConcurrentDictionary<string, bool> _accessTokens = new(); // token → still valid
    private readonly ConcurrentDictionary<string, bool> _refreshTokens = new();
    private int _count;
    private int _creates;
    private int _tokens;

    public BlueskyFake()
    {
        Server = WireMockServer.Start();
        Server.Given(Request.Create().WithPath(new RegexMatcher("^/xrpc/.+$"))).RespondWith(Response.Create().WithCallback(RespondAsync));
    }

    public WireMockServer Server { get; }
    public string Url => Server.Url!;

    public Func<int, (int Status, IReadOnlyDictionary<string, string>? Headers)?> Answer { get; set; } = _ => null;

    /// <summary>How long to wait before answering the n-th createRecord, after storing the record: a create that happened but timed out.</summary>
    public Func<int, TimeSpan> DelayFor { get; set; } = _ => TimeSpan.Zero;

    public ConcurrentDictionary<string, BlueskyRecord> Records { get; } = new(); // by record key

    public IReadOnlyList<BlueskyRequest> Requests => _received.OrderBy(r => r.Ordinal).ToList();

    public IReadOnlyList<BlueskyRequest> Calls(string xrpc) => Requests.Where(r => r.Xrpc == xrpc).ToList();

    public void ExpireAccessTokens()
    {
        foreach (var token in _accessTokens.Keys)
        {
            _accessTokens[token] = false;
        }
    }

    public void ExpireRefreshTokens()
    {
        foreach (var token in _refreshTokens.Keys)
        {
            _refreshTokens[token] = false;
        }
    }

    public void Dispose() => Server.Stop();

    private async Task<IResponseMessage> RespondAsync(IRequestMessage request)
    {
        var n = Interlocked.Increment(ref _count);
        var path = request.Path;
        var query = request.Query?.ToDictionary(q => q.Key, q => q.Value.FirstOrDefault() ?? "") ?? [];
        var authorization = request.Headers?.FirstOrDefault(h => string.Equals(h.Key, "Authorization", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();
        var bearer = authorization?.StartsWith("Bearer ", StringComparison.Ordinal) == true ? authorization["Bearer ".Length..] : null;
        JsonNode? body = null;
        try
        {
            body = string.IsNullOrEmpty(request.Body) ? null : JsonNode.Parse(request.Body);
        }
        catch (JsonException)
        {
        }

        var delay = TimeSpan.Zero;
        (int Status, JsonNode Json, IReadOnlyDictionary<string, string>? Headers) answer = path switch
        {
            "/xrpc/com.atproto.server.createSession" => CreateSession(body),
            "/xrpc/com.atproto.server.refreshSession" => RefreshSession(bearer),
            "/xrpc/com.atproto.repo.createRecord" => CreateRecord(body, bearer, out delay),
            "/xrpc/com.atproto.repo.getRecord" => GetRecord(query),
            _ => (404, Error("MethodNotImplemented", "Method Not Implemented"), null),
        };
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay);
        }
        _received.Add(new BlueskyRequest(n, request.Method, path, query, authorization, body, answer.Status));

        var headers = new Dictionary<string, WireMockList<string>>
        {
            ["Content-Type"] = new(answer.Status == 502 ? "text/html" : "application/json"),
        };
        foreach (var (name, value) in answer.Headers ?? new Dictionary<string, string>())
        {
            headers[name] = new(value);
        }
        return new ResponseMessage
        {
            StatusCode = answer.Status,
            Headers = headers,
            BodyData = new BodyData
            {
                BodyAsString = answer.Status == 502 ? "<html><body>502 Bad Gateway</body></html>" : answer.Json.ToJsonString(),
                DetectedBodyType = BodyType.String,
            },
        };
    }

    private (int, JsonNode, IReadOnlyDictionary<string, string>?) CreateSession(JsonNode? body)
    {
        var identifier = body?["identifier"]?.GetValue<string>();
        if (identifier is not (Handle or Did) || body?["password"]?.GetValue<string>() != AppPassword)
        {
            return (401, Error("AuthenticationRequired", "Invalid identifier or password"), null);
        }
        return (200, Session(), null);
    }

    private (int, JsonNode, IReadOnlyDictionary<string, string>?) RefreshSession(string? bearer)
    {
        if (bearer is null || !_refreshTokens.TryGetValue(bearer, out var valid))
        {
            return (400, Error("InvalidToken", "Token could not be verified"), null);
        }
        if (!valid)
        {
            return (400, Error("ExpiredToken", "Token has been revoked"), null);
        }
        _refreshTokens[bearer] = false; // refresh tokens are single-use
        return (200, Session(), null);
    }

    private (int, JsonNode, IReadOnlyDictionary<string, string>?) CreateRecord(JsonNode? body, string? bearer, out TimeSpan delay)
    {
        var n = Interlocked.Increment(ref _creates);
        delay = TimeSpan.Zero;
        if (Answer(n) is { } overridden)
        {
            var error = overridden.Status switch
            {
                429 => Error("RateLimitExceeded", "Rate Limit Exceeded"),
                400 => Error("InvalidRequest", "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes"),
                401 => Error("AuthenticationRequired", "Authentication Required"),
                _ => Error("InternalServerError", "Internal Server Error"),
            };
            return (overridden.Status, error, overridden.Headers);
        }
        if (bearer is null || !_accessTokens.TryGetValue(bearer, out var valid))
        {
            return (401, Error("AuthenticationRequired", "Authentication Required"), null);
        }
        if (!valid)
        {
            return (400, Error("ExpiredToken", "Token has expired"), null);
        }
        if (body?["repo"]?.GetValue<string>() is not (Did or Handle) || body["collection"]?.GetValue<string>() != "app.bsky.feed.post" || body["record"] is null)
        {
            return (400, Error("InvalidRequest", "Input/repo must be the session's DID, collection app.bsky.feed.post"), null);
        }
        var rkey = body["rkey"]?.GetValue<string>() ?? $"3l{n:D11}";
        var value = body["record"]!.DeepClone();
        var uri = $"at://{Did}/app.bsky.feed.post/{rkey}";
        var record = new BlueskyRecord(uri, Cid(value), value);
        if (!Records.TryAdd(rkey, record))
        {
            return (500, Error("InternalServerError", "Internal Server Error"), null);
        }
        delay = DelayFor(n);
        return (200, new JsonObject
        {
            ["uri"] = uri,
            ["cid"] = record.Cid,
            ["commit"] = new JsonObject { ["cid"] = Cid(new JsonObject { ["commit"] = n }), ["rev"] = "3l" + n.ToString("D11", CultureInfo.InvariantCulture) },
            ["validationStatus"] = "valid",
        }, null);
    }

    private (int, JsonNode, IReadOnlyDictionary<string, string>?) GetRecord(IReadOnlyDictionary<string, string> query)
    {
        var rkey = query.GetValueOrDefault("rkey") ?? "";
        if (query.GetValueOrDefault("repo") is not (Did or Handle) || query.GetValueOrDefault("collection") != "app.bsky.feed.post"
            || !Records.TryGetValue(rkey, out var record))
        {
            return (400, Error("RecordNotFound", $"Could not locate record: at://{query.GetValueOrDefault("repo")}/app.bsky.feed.post/{rkey}"), null);
        }
        return (200, new JsonObject { ["uri"] = record.Uri, ["cid"] = record.Cid, ["value"] = record.Value.DeepClone() }, null);
    }

    private JsonObject Session()
    {
        var n = Interlocked.Increment(ref _tokens);
        var access = $"access-jwt-{n}";
        var refresh = $"refresh-jwt-{n}";
        _accessTokens[access] = true;
        _refreshTokens[refresh] = true;
        return new JsonObject { ["did"] = Did, ["handle"] = Handle, ["accessJwt"] = access, ["refreshJwt"] = refresh, ["active"] = true };
    }

    // A CIDv1 (dag-cbor, sha-256) looks like "bafyrei" + 52 base32 characters; the hash here is of the JSON.
    private static string Cid(JsonNode value)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(value.ToJsonString()));
        var builder = new StringBuilder("bafyrei");
        for (var i = 0; builder.Length < 59; i++)
        {
            builder.Append(alphabet[hash[i % hash.Length] % 32]);
        }
        return builder.ToString();
    }

    private static JsonObject Error(string error, string message) => new() { ["error"] = error, ["message"] = message };
}
