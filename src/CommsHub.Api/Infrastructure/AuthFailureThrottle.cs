using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace CommsHub.Api.Infrastructure;

/// <summary>
/// Counts failed authentications (a wrong API key, a wrong password, a wrong key at the dashboard's
/// sign-in) per client in a sliding window; past the limit the client is refused, right or wrong,
/// until its oldest failure leaves the window: guessing stops paying. A client is its address, or
/// its /64 for IPv6 (one host is usually given a whole /64). Kept in this process's memory: each API
/// instance counts on its own.
/// </summary>
public sealed class AuthFailureThrottle(IOptions<AuthThrottleOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Failures> _clients = new(StringComparer.Ordinal);
    private readonly AuthThrottleOptions _options = options.Value;

    /// <summary>Whether the client must be refused before its credentials are even looked at, and for how long.</summary>
    public bool IsBlocked(HttpContext http, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        return _clients.TryGetValue(ClientOf(http), out var failures) && failures.Blocked(time.GetUtcNow(), _options, out retryAfter);
    }

    public void RecordFailure(HttpContext http)
    {
        if (_clients.Count >= _options.MaxClients)
        {
            Trim();
        }
        _clients.GetOrAdd(ClientOf(http), _ => new Failures()).Add(time.GetUtcNow(), _options);
    }

    /// <summary>
    /// A client that proves a credential starts afresh (a person who mistyped twice). It cannot be
    /// used to keep guessing while blocked: a blocked client's credentials are not checked at all.
    /// </summary>
    public void RecordSuccess(HttpContext http) => _clients.TryRemove(ClientOf(http), out _);

    /// <summary>The partition: IPv4 address, or the /64 of an IPv6 one (IPv4-mapped addresses as IPv4).</summary>
    public static string ClientOf(HttpContext http) => ClientOf(http.Connection.RemoteIpAddress);

    public static string ClientOf(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>Forgets clients whose failures have all left the window; if that is not enough, any tenth of them.</summary>
    private void Trim()
    {
        var now = time.GetUtcNow();
        foreach (var (client, failures) in _clients)
        {
            if (failures.Expired(now, _options))
            {
                _clients.TryRemove(client, out _);
            }
        }
        if (_clients.Count >= _options.MaxClients)
        {
            foreach (var client in _clients.Keys.Take(Math.Max(1, _options.MaxClients / 10)))
            {
                _clients.TryRemove(client, out _);
            }
        }
    }

    internal int TrackedClients => _clients.Count;

    /// <summary>The times of a client's last failures, at most the limit's worth.</summary>
    private sealed class Failures
    {
        private readonly Queue<DateTimeOffset> _times = new();

        public void Add(DateTimeOffset now, AuthThrottleOptions options)
        {
            lock (_times)
            {
                Forget(now, options);
                _times.Enqueue(now);
                while (_times.Count > options.MaxFailures)
                {
                    _times.Dequeue();
                }
            }
        }

        public bool Blocked(DateTimeOffset now, AuthThrottleOptions options, out TimeSpan retryAfter)
        {
            lock (_times)
            {
                Forget(now, options);
                retryAfter = _times.Count >= options.MaxFailures ? _times.Peek() + options.Window - now : TimeSpan.Zero;
                return _times.Count >= options.MaxFailures;
            }
        }

        public bool Expired(DateTimeOffset now, AuthThrottleOptions options)
        {
            lock (_times)
            {
                Forget(now, options);
                return _times.Count == 0;
            }
        }

        private void Forget(DateTimeOffset now, AuthThrottleOptions options)
        {
            while (_times.Count > 0 && _times.Peek() + options.Window <= now)
            {
                _times.Dequeue();
            }
        }
    }
}
