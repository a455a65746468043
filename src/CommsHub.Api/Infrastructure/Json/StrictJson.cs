using System.Text.Json;
using System.Text.Json.Serialization;

namespace CommsHub.Api.Infrastructure.Json;

/// <summary>
/// The rules every JSON request body is read by: a field the request does not have is an error
/// (a misspelt <c>impcat</c> is never silently dropped), text refuses control characters, times
/// must carry an offset. Responses are written as before.
/// </summary>
internal static class StrictJson
{
    public static void Apply(JsonSerializerOptions options)
    {
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.Converters.Add(new OperatorTextConverter());
        options.Converters.Add(new OffsetRequiredConverter());
    }
}
