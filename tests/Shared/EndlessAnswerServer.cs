using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CommsHub.Testing;

/// <summary>
/// An HTTP/1.1 endpoint on 127.0.0.1 that answers each request 200 with a body announced as
/// <see cref="AnnouncedLength"/> bytes and keeps writing it until the client hangs up: what a
/// hostile or broken receiver does. It counts what it managed to write.
/// </summary>
public sealed class EndlessAnswerServer : IAsyncDisposable
{
    public const long AnnouncedLength = 4L * 1024 * 1024 * 1024;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<long> _hungUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _serving;

    public EndlessAnswerServer(string contentType = "application/json")
    {
        _listener.Start();
        _serving = ServeOneAsync(contentType);
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hook";

    /// <summary>Completes, with the bytes of body written, once the client closed the connection.</summary>
    public Task<long> HungUp => _hungUp.Task;

    private async Task ServeOneAsync(string contentType)
    {
        long written = 0;
        try
        {
            using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            client.SendBufferSize = 64 * 1024;
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
            while (!string.IsNullOrEmpty(await reader.ReadLineAsync(_stop.Token)))
            {
                // the request's headers; its body is left unread
            }
            var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: {contentType}\r\nContent-Length: {AnnouncedLength}\r\n\r\n");
            await stream.WriteAsync(head, _stop.Token);
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)' ');
            chunk[0] = (byte)'{';
            while (written < AnnouncedLength)
            {
                await stream.WriteAsync(chunk, _stop.Token);
                written += chunk.Length;
                chunk[0] = (byte)' ';
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            // the client hung up (or the test ended)
        }
        _hungUp.TrySetResult(written);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _serving;
        _stop.Dispose();
    }
}
