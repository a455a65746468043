using System.Text.Json;

namespace CommsHub.Api.Infrastructure.Json;

/// <summary>
/// A value in a request body that reads as JSON but is not acceptable, thrown from a converter.
/// The serializer fills in <see cref="JsonException.Path"/>; <see cref="Reason"/> is what the client
/// reads after the field's name ("contains the control character …", "has no UTC offset …").
/// </summary>
internal sealed class JsonFieldException(string reason) : JsonException(reason)
{
    public string Reason { get; } = reason;
}
