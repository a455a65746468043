using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CommsHub.Api.Infrastructure.Json;

/// <summary>
/// A time in a request body must say which instant it means. The serializer's own reading takes a
/// time without an offset in the server's time zone, so "10:00" silently becomes whatever the host
/// thinks; here it is refused with an example the operator can copy. Also used for
/// <c>DateTimeOffset?</c> (the serializer wraps this converter for nullable values).
/// </summary>
internal sealed class OffsetRequiredConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var value))
        {
            throw new JsonFieldException("is not a date and time: write ISO 8601 with an offset, e.g. 2026-12-06T10:00:00Z.");
        }
        // The same text read as a DateTime keeps whether an offset was written: Z gives Utc, an
        // offset gives Local, nothing gives Unspecified.
        if (reader.TryGetDateTime(out var written) && written.Kind == DateTimeKind.Unspecified)
        {
            var example = written.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);
            throw new JsonFieldException($"has no UTC offset: write it with Z or +hh:mm, e.g. {example}Z.");
        }
        return value;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
