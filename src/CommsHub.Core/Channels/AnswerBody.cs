using System.Text;

namespace CommsHub.Core.Channels;

/// <summary>
/// Reads at most a small prefix of an answer's body. The endpoints we post to are not ours (a
/// subscriber's webhook, a chat service) and may answer anything, of any size: a request is sent
/// with <see cref="HttpCompletionOption.ResponseHeadersRead"/> and never buffers more than this.
/// </summary>
public static class AnswerBody
{
    /// <summary>Enough for any provider's JSON answer or error message.</summary>
    public const int Limit = 64 * 1024;

    public static async Task<string> ReadPrefixAsync(HttpContent content, CancellationToken cancellationToken, int limit = Limit)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[limit];
        var read = 0;
        while (read < limit)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read, limit - read), cancellationToken);
            if (n == 0)
            {
                break;
            }
            read += n;
        }
        var charset = content.Headers.ContentType?.CharSet;
        var encoding = charset is null ? Encoding.UTF8 : SafeEncoding(charset);
        return encoding.GetString(buffer, 0, read);
    }

    private static Encoding SafeEncoding(string charset)
    {
        try
        {
            return Encoding.GetEncoding(charset.Trim('"'));
        }
        catch (ArgumentException)
        {
            return Encoding.UTF8;
        }
    }
}
