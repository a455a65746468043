using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace CommsHub.Core.Channels.Social;

internal sealed record BlueskySession(string Did, string AccessJwt, string RefreshJwt);

/// <summary>
/// Logs in once and keeps the session in memory: createSession is rate-limited hard (tens per five
/// minutes per account), so logging in per post would soon lock the account out. An expired access
/// token is refreshed with the refresh token, and only if that fails is a new session created.
/// </summary>
internal sealed class BlueskySessions(Func<HttpClient> client, BlueskyOptions options, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private BlueskySession? _current;

    /// <summary>The cached session, or a new one; or, when the login is refused, the refusal.</summary>
    public async Task<(BlueskySession? Session, SocialAnswer? Refusal)> CurrentAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _current) is { } cached)
        {
            return (cached, null);
        }
        await _gate.WaitAsync(ct);
        try
        {
            return _current is { } session ? (session, null) : await LoginAsync(ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Replaces a session the server called expired or invalid, unless a concurrent post already did.</summary>
    public async Task<(BlueskySession? Session, SocialAnswer? Refusal)> RenewAsync(BlueskySession stale, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_current is { } current && !ReferenceEquals(current, stale))
            {
                return (current, null);
            }
            // The stale session stays cached until a new one replaces it: if this refresh cannot reach the
            // server, the next post tries the refresh again rather than spending a rate-limited login.
            var refreshed = await SessionCallAsync("com.atproto.server.refreshSession", null, stale.RefreshJwt, ct);
            return refreshed.Session is not null ? refreshed : await LoginAsync(ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private Task<(BlueskySession? Session, SocialAnswer? Refusal)> LoginAsync(CancellationToken ct) =>
        SessionCallAsync("com.atproto.server.createSession",
            new JsonObject { ["identifier"] = options.Identifier.Trim().TrimStart('@'), ["password"] = options.AppPassword.Trim() }, null, ct);

    private async Task<(BlueskySession? Session, SocialAnswer? Refusal)> SessionCallAsync(string method, JsonObject? body, string? bearer, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, SocialSettings.Endpoint(options.ServiceUrl, "xrpc/" + method));
        if (body is not null)
        {
            request.Content = SocialHttp.Json(body);
        }
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        var answer = await SocialHttp.ExchangeAsync(client(), request, time, ct);
        if (answer.IsSuccess && answer.Text("did") is { Length: > 0 } did && answer.Text("accessJwt") is { Length: > 0 } access
            && answer.Text("refreshJwt") is { Length: > 0 } refresh)
        {
            var session = new BlueskySession(did, access, refresh);
            _current = session;
            return (session, null);
        }
        return (null, answer);
    }
}
