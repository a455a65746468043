using System.Globalization;
using CommsHub.Api.Infrastructure;
using Microsoft.Extensions.Options;

namespace CommsHub.Api.Website;

public sealed class LiveEventOptions
{
    public const string Section = "StatusPage:Events";

    /// <summary>Open <c>/events</c> streams per client (IPv4 address or IPv6 /64). Generous: an office behind one NAT address is many readers.</summary>
    public int MaxPerClient { get; set; } = 50;

    /// <summary>Open <c>/events</c> streams in this process, from everyone.</summary>
    public int MaxConnections { get; set; } = 5000;

    /// <summary>How long a refused client is asked to wait (<c>Retry-After</c>); its page keeps working without live updates.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Counts open live-event streams: each holds a connection and a subscription to every rebuild for as
/// long as the client likes, so one client opening a thousand would hold a thousand. Beyond the limits
/// the stream is refused with 429; the page falls back to reloading every minute.
/// </summary>
public sealed class LiveEventSlots(IOptions<LiveEventOptions> options)
{
    private readonly Dictionary<string, int> _perClient = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private int _total;

    internal int Open
    {
        get
        {
            lock (_lock)
            {
                return _total;
            }
        }
    }

    /// <returns>A slot released when the response ends, or null when the client or the process is at its limit.</returns>
    public IDisposable? TryEnter(HttpContext http)
    {
        var client = AuthFailureThrottle.ClientOf(http);
        var o = options.Value;
        lock (_lock)
        {
            var mine = _perClient.GetValueOrDefault(client);
            if (mine >= o.MaxPerClient || _total >= o.MaxConnections)
            {
                return null;
            }
            _perClient[client] = mine + 1;
            _total++;
        }
        var slot = new Slot(this, client);
        http.Response.RegisterForDispose(slot);
        return slot;
    }

    public IResult Refuse(HttpContext http)
    {
        http.Response.Headers.RetryAfter = ((int)Math.Ceiling(options.Value.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many live connections.",
            detail: "Too many live-update connections are open from this address or in total; the page still refreshes by itself.");
    }

    private void Leave(string client)
    {
        lock (_lock)
        {
            _total--;
            if (_perClient.TryGetValue(client, out var mine) && mine > 1)
            {
                _perClient[client] = mine - 1;
            }
            else
            {
                _perClient.Remove(client);
            }
        }
    }

    private sealed class Slot(LiveEventSlots owner, string client) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Leave(client);
            }
        }
    }
}
