using System.Net;
using System.Text;

namespace FanOutBench.Driver;

/// <summary>
/// A CSV request body written as it is sent (chunked): a million lines go out without the driver ever holding
/// the file, as an operator's upload of a file from disk would.
/// </summary>
public sealed class LinesContent : HttpContent
{
    private readonly string _header;
    private readonly int _count;
    private readonly Func<int, string> _line;

    public LinesContent(string header, int count, Func<int, string> line)
    {
        _header = header;
        _count = count;
        _line = line;
        Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
    }

    public long Bytes { get; private set; }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        var text = new StringBuilder(1 << 17);
        var buffer = new byte[1 << 19];
        text.Append(_header).Append('\n');
        for (var i = 0; i < _count; i++)
        {
            text.Append(_line(i)).Append('\n');
            if (text.Length >= 1 << 16 || i == _count - 1)
            {
                var n = Encoding.UTF8.GetBytes(text.ToString(), buffer);
                await stream.WriteAsync(buffer.AsMemory(0, n));
                Bytes += n;
                text.Clear();
            }
        }
        if (_count == 0)
        {
            var n = Encoding.UTF8.GetBytes(text.ToString(), buffer);
            await stream.WriteAsync(buffer.AsMemory(0, n));
            Bytes += n;
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
