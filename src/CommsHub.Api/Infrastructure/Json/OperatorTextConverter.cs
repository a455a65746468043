using System.Text.Json;
using System.Text.Json.Serialization;
using CommsHub.Core.Common;

namespace CommsHub.Api.Infrastructure.Json;

/// <summary>
/// Every string a request body carries goes through <see cref="OperatorText"/>: titles, messages,
/// names and descriptions are refused at the door with the field and the position, before any
/// handler or store sees them. Writing is untouched, so rows stored before the rule still answer.
/// </summary>
internal sealed class OperatorTextConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonFieldException("must be a string.");
        }
        return Checked(reader.GetString()!);
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Checked(reader.GetString()!);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value);

    private static string Checked(string text) =>
        OperatorText.Problem(text) is { } problem ? throw new JsonFieldException(problem) : text;
}
