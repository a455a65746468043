using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace CommsHub.FaultTests.Harness;

public enum ProxyMode { Forward, BlackHole, Refuse }

/// <summary>
/// A loopback TCP proxy in front of one server (PostgreSQL, RabbitMQ) that a test can switch between
/// forwarding, a network that silently drops everything (<see cref="BlackHole"/>) and a server that is
/// down (<see cref="Refuse"/>), without touching the server itself, which other tests share.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly IPEndPoint _target;
    private readonly ConcurrentDictionary<long, Link> _links = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;
    private readonly Lock _modeLock = new();
    private long _accepted;
    private volatile ProxyMode _mode = ProxyMode.Forward;

    private TcpProxy(IPEndPoint target)
    {
        _target = target;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public static TcpProxy Start(string targetHost, int targetPort)
    {
        var address = IPAddress.TryParse(targetHost, out var parsed)
            ? parsed
            : Dns.GetHostAddresses(targetHost).First(a => a.AddressFamily == AddressFamily.InterNetwork);
        return new TcpProxy(new IPEndPoint(address, targetPort));
    }

    public int Port { get; }
    public ProxyMode Mode => _mode;
    public int ActiveConnections => _links.Count;
    public long ConnectionsAccepted => Interlocked.Read(ref _accepted);

    /// <summary>Bytes that reached the target (client to server), for tests that prove nothing got through.</summary>
    public long BytesForwardedToTarget => Interlocked.Read(ref _bytesToTarget);
    private long _bytesToTarget;

    public void Forward() => Switch(ProxyMode.Forward);
    public void BlackHole() => Switch(ProxyMode.BlackHole);
    public void Refuse() => Switch(ProxyMode.Refuse);

    private void Switch(ProxyMode mode)
    {
        lock (_modeLock)
        {
            _mode = mode;
            foreach (var link in _links.Values)
            {
                switch (mode)
                {
                    case ProxyMode.BlackHole:
                        link.BlackHoled = true;
                        break;
                    case ProxyMode.Refuse:
                        link.Reset();
                        break;
                    case ProxyMode.Forward when link.BlackHoled:
                        // Bytes were swallowed in both directions: the stream can never be trusted again.
                        link.Reset();
                        break;
                }
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            var id = Interlocked.Increment(ref _accepted);
            client.NoDelay = true;
            _ = Task.Run(() => ServeAsync(id, client));
        }
    }

    private async Task ServeAsync(long id, Socket client)
    {
        var link = new Link(id, client);
        ProxyMode mode;
        lock (_modeLock)
        {
            mode = _mode;
            if (mode == ProxyMode.Refuse)
            {
                link.Reset();
                return;
            }
            link.BlackHoled = mode == ProxyMode.BlackHole;
            _links[link.Id] = link;
        }
        try
        {
            if (link.BlackHoled)
            {
                // Nothing reaches the target, not even a connection attempt.
                await PumpAsync(link, client, null);
                return;
            }
            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            link.Server = server;
            try
            {
                await server.ConnectAsync(_target, _stopping.Token);
            }
            catch (Exception)
            {
                link.Reset();
                return;
            }
            if (link.IsReset || link.BlackHoled)
            {
                // The mode changed while connecting: discard, or keep resetting.
                if (link.BlackHoled && !link.IsReset)
                {
                    await Task.WhenAll(PumpAsync(link, client, null), PumpAsync(link, server, null));
                }
                return;
            }
            await Task.WhenAll(PumpAsync(link, client, server), PumpAsync(link, server, client));
        }
        finally
        {
            _links.TryRemove(link.Id, out _);
            link.Close();
        }
    }

    /// <summary>Copies <paramref name="from"/> to <paramref name="to"/> until end of stream, discarding while black-holed.</summary>
    private async Task PumpAsync(Link link, Socket from, Socket? to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token);
                if (read == 0)
                {
                    if (to is not null && !link.BlackHoled)
                    {
                        to.Shutdown(SocketShutdown.Send);
                    }
                    else if (link.BlackHoled)
                    {
                        // A black-holed peer never learns the other side went away.
                        await Task.Delay(Timeout.Infinite, link.Closed);
                    }
                    return;
                }
                if (to is null || link.BlackHoled)
                {
                    continue;
                }
                var sent = 0;
                while (sent < read)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, _stopping.Token);
                }
                if (to == link.Server)
                {
                    Interlocked.Add(ref _bytesToTarget, read);
                }
            }
        }
        catch (Exception)
        {
            // A reset on one side becomes a reset on the other, as a dead server or client would cause.
            link.Reset();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Dispose();
        foreach (var link in _links.Values)
        {
            link.Reset();
        }
        try
        {
            await _acceptLoop;
        }
        catch (OperationCanceledException)
        {
        }
        _stopping.Dispose();
    }

    private sealed class Link(long id, Socket client)
    {
        private readonly CancellationTokenSource _closed = new();
        private int _reset;

        public long Id { get; } = id;
        public Socket Client { get; } = client;
        public Socket? Server { get; set; }
        public volatile bool BlackHoled;
        public bool IsReset => Volatile.Read(ref _reset) == 1;
        public CancellationToken Closed => _closed.Token;

        /// <summary>Closes both sockets with an RST (linger 0) rather than an orderly FIN.</summary>
        public void Reset()
        {
            if (Interlocked.Exchange(ref _reset, 1) == 1)
            {
                return;
            }
            Abort(Client);
            if (Server is { } server)
            {
                Abort(server);
            }
            _closed.Cancel();
        }

        public void Close()
        {
            Client.Dispose();
            Server?.Dispose();
            _closed.Cancel();
        }

        private static void Abort(Socket socket)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);
            }
            catch (Exception)
            {
                // Already closed: nothing to reset.
            }
            socket.Dispose();
        }
    }
}
