using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CommsHub.Core.Channels.Social;

/// <summary>
/// The record key a delivery's post gets, derived from its idempotency key alone, so a retry creates the
/// same record (and conflicts) instead of a second post. It is a TID — 13 base32-sortable characters
/// of (0 | 53-bit microseconds since 1970 | 10-bit clock id) — because app.bsky.feed.post declares
/// key type "tid" and a PDS may enforce it. For a UUIDv7 key (our delivery ids) the time is the
/// UUID's own millisecond plus hash-chosen microseconds, and the clock id is hash-chosen: posts sort
/// as they were planned, and two keys collide only if planned in the same millisecond with the same
/// 20 hash bits. Any other key gets a hash-chosen time in 2023, never in the future.
/// </summary>
public static class BlueskyRecordKey
{
    private const string Alphabet = "234567abcdefghijklmnopqrstuvwxyz";
    private static readonly long Year2023Micros = new DateTimeOffset(2023, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000;

    public static string From(string idempotencyKey)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey));
        var random = BinaryPrimitives.ReadUInt64BigEndian(hash);
        long micros;
        if (Guid.TryParse(idempotencyKey, out var id) && id.Version == 7)
        {
            var bytes = id.ToByteArray(bigEndian: true);
            var millis = ((long)bytes[0] << 40) | ((long)bytes[1] << 32) | ((long)bytes[2] << 24) | ((long)bytes[3] << 16) | ((long)bytes[4] << 8) | bytes[5];
            micros = (millis * 1000) + (long)(random % 1000);
        }
        else
        {
            // 2^44 µs is about 200 days.
            micros = Year2023Micros + (long)(random & ((1UL << 44) - 1));
        }
        var clockId = (long)((random >> 44) & 0x3FF);
        return Encode(((micros & ((1L << 53) - 1)) << 10) | clockId);
    }

    /// <summary>The TID syntax: 13 characters, the first of which keeps the top bit zero.</summary>
    public static bool IsTid(string key) =>
        key.Length == 13 && "234567abcdefghij".Contains(key[0], StringComparison.Ordinal) && key.All(c => Alphabet.Contains(c, StringComparison.Ordinal));

    private static string Encode(long value)
    {
        Span<char> chars = stackalloc char[13];
        for (var i = 12; i >= 0; i--)
        {
            chars[i] = Alphabet[(int)(value & 31)];
            value >>= 5;
        }
        return new string(chars);
    }
}
