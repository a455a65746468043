using System.Net;
using System.Net.Sockets;
using System.Text;
using CommsHub.FaultTests.Harness;

namespace CommsHub.FaultTests;

public sealed class TcpProxyTests : IAsyncLifetime
{
    private readonly EchoServer _echo = new();
    private TcpProxy _proxy = null!;

    public Task InitializeAsync()
    {
        _proxy = TcpProxy.Start("127.0.0.1", _echo.Port);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        _echo.Dispose();
    }

    [Fact]
    public async Task Forwarding_passes_bytes_both_ways_on_many_connections()
    {
        var clients = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => ConnectAsync()));
        foreach (var (client, i) in clients.Select((c, i) => (c, i)))
        {
            Assert.Equal($"hello {i}", await EchoAsync(client, $"hello {i}"));
        }
        Assert.Equal(ProxyMode.Forward, _proxy.Mode);
        Assert.Equal(5, _proxy.ConnectionsAccepted);
        await Eventually.HoldsAsync(() => Task.FromResult(_proxy.ActiveConnections == 5), "five connections are active");
        foreach (var client in clients)
        {
            client.Dispose();
        }
        await Eventually.HoldsAsync(() => Task.FromResult(_proxy.ActiveConnections == 0), "closed connections are forgotten");
    }

    [Fact]
    public async Task Black_hole_keeps_connections_open_and_lets_nothing_through()
    {
        using var existing = await ConnectAsync();
        Assert.Equal("before", await EchoAsync(existing, "before"));
        var receivedBefore = _echo.BytesReceived;

        _proxy.BlackHole();
        using var fresh = await ConnectAsync();
        foreach (var client in new[] { existing, fresh })
        {
            await client.GetStream().WriteAsync(Encoding.UTF8.GetBytes("dropped"));
            var read = ReadAsync(client, TimeSpan.FromMilliseconds(700));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
            Assert.True(client.Connected);
        }
        Assert.Equal(receivedBefore, _echo.BytesReceived);
        Assert.Equal(1, _echo.ConnectionsAccepted);
        await Eventually.HoldsAsync(() => Task.FromResult(_proxy.ActiveConnections == 2), "both connections are held open", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Refuse_resets_current_and_new_connections()
    {
        using var existing = await ConnectAsync();
        Assert.Equal("ping", await EchoAsync(existing, "ping"));

        _proxy.Refuse();
        await AssertResetAsync(existing);
        // A new connection is reset: after its handshake, or during it when the reset wins the race
        // with the kernel's accept (then the connect itself fails with the reset).
        try
        {
            using var fresh = await ConnectAsync();
            await AssertResetAsync(fresh);
        }
        catch (SocketException refused) when (refused.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused)
        {
        }
        Assert.Equal(ProxyMode.Refuse, _proxy.Mode);
        await Eventually.HoldsAsync(() => Task.FromResult(_proxy.ActiveConnections == 0), "no connection survives");
    }

    [Fact]
    public async Task Leaving_the_black_hole_resets_its_connections_and_new_ones_forward_again()
    {
        using var held = await ConnectAsync();
        // The kernel completes the handshake before the proxy has taken the connection: a switch made
        // before then would not apply to it, and it would forward (and echo) what follows.
        await Eventually.HoldsAsync(() => Task.FromResult(_proxy.ActiveConnections == 1), "the proxy holds the connection", TimeSpan.FromSeconds(10));
        _proxy.BlackHole();
        await held.GetStream().WriteAsync(Encoding.UTF8.GetBytes("lost"));

        _proxy.Forward();
        await AssertResetAsync(held);
        using var fresh = await ConnectAsync();
        Assert.Equal("back", await EchoAsync(fresh, "back"));

        _proxy.Refuse();
        _proxy.Forward();
        using var afterRefuse = await ConnectAsync();
        Assert.Equal("again", await EchoAsync(afterRefuse, "again"));
    }

    private async Task<TcpClient> ConnectAsync()
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _proxy.Port);
        return client;
    }

    private static async Task<string> EchoAsync(TcpClient client, string text)
    {
        await client.GetStream().WriteAsync(Encoding.UTF8.GetBytes(text));
        var received = new StringBuilder();
        while (received.Length < text.Length)
        {
            // Generous: an echo arrives at once, but this suite runs beside the others on a loaded machine.
            received.Append(await ReadAsync(client, TimeSpan.FromSeconds(30)));
        }
        return received.ToString();
    }

    private static async Task<string> ReadAsync(TcpClient client, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[1024];
        var read = await client.GetStream().ReadAsync(buffer, cts.Token);
        return read == 0 ? throw new EndOfStreamException() : Encoding.UTF8.GetString(buffer, 0, read);
    }

    private static async Task AssertResetAsync(TcpClient client)
    {
        var failure = await Record.ExceptionAsync(async () =>
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var buffer = new byte[16];
            // A write may still be buffered locally; the read is what meets the RST.
            await client.GetStream().WriteAsync("x"u8.ToArray(), cts.Token);
            _ = await client.GetStream().ReadAsync(buffer, cts.Token);
        });
        var io = Assert.IsType<IOException>(failure);
        var socket = Assert.IsType<SocketException>(io.InnerException);
        Assert.Equal(SocketError.ConnectionReset, socket.SocketErrorCode);
    }

    /// <summary>Echoes every byte back and counts what arrived, to prove what did not.</summary>
    private sealed class EchoServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private long _bytes;
        private int _connections;

        public EchoServer()
        {
            _listener.Start();
            _ = Task.Run(AcceptAsync);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public long BytesReceived => Interlocked.Read(ref _bytes);
        public int ConnectionsAccepted => Volatile.Read(ref _connections);

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception)
                {
                    return;
                }
                Interlocked.Increment(ref _connections);
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        var buffer = new byte[1024];
                        try
                        {
                            int read;
                            while ((read = await client.GetStream().ReadAsync(buffer, _stop.Token)) > 0)
                            {
                                Interlocked.Add(ref _bytes, read);
                                await client.GetStream().WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                            }
                        }
                        catch (Exception)
                        {
                            // The proxy reset it.
                        }
                    }
                });
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _listener.Dispose();
            _stop.Dispose();
        }
    }
}
