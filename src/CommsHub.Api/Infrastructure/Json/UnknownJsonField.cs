using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace CommsHub.Api.Infrastructure.Json;

/// <summary>
/// Explains the serializer's refusal of a member the request does not have
/// (<c>UnmappedMemberHandling.Disallow</c>): the error's path is walked through the request type's
/// contract, and when its last name is not a field there, the answer says so and suggests the
/// nearest field (<c>impcat</c> → <c>impact</c>, <c>components[0].stauts</c> → <c>status</c>).
/// </summary>
internal static class UnknownJsonField
{
    /// <returns>The message for the field at <paramref name="path"/>, or null when the path names a field the request has (the error is about its value).</returns>
    public static string? Describe(string? path, Type? requestType, JsonSerializerOptions options)
    {
        if (path is null || requestType is null || JsonPath.Parse(path) is not { Count: > 0 } segments || segments[^1] is not string unknown)
        {
            return null;
        }
        var info = TypeInfo(requestType, options);
        foreach (var segment in segments.Take(segments.Count - 1))
        {
            info = (segment, info?.Kind) switch
            {
                (string name, JsonTypeInfoKind.Object) => Find(info!, name, options) is { } property ? TypeInfo(property.PropertyType, options) : null,
                (int, JsonTypeInfoKind.Enumerable) => TypeInfo(info!.ElementType!, options),
                _ => null,
            };
        }
        if (info is not { Kind: JsonTypeInfoKind.Object } || Find(info, unknown, options) is not null)
        {
            return null;
        }
        var known = info.Properties.Select(p => p.Name).ToList();
        var where = segments.Count == 1 ? "this request" : JsonPath.Format(segments.Take(segments.Count - 1));
        return FieldNames.Nearest(unknown, known) is { } nearest
            ? $"'{unknown}' is not a field of {where}; did you mean '{nearest}'?"
            : $"'{unknown}' is not a field of {where}; its fields are: {string.Join(", ", known)}.";
    }

    private static JsonTypeInfo? TypeInfo(Type type, JsonSerializerOptions options)
    {
        try
        {
            return options.GetTypeInfo(Nullable.GetUnderlyingType(type) ?? type);
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    private static JsonPropertyInfo? Find(JsonTypeInfo info, string name, JsonSerializerOptions options)
    {
        var comparison = options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return info.Properties.FirstOrDefault(p => string.Equals(p.Name, name, comparison));
    }
}

/// <summary>The serializer's JSON paths (<c>$.components[0]['odd name']</c>) as names and indexes, and back.</summary>
internal static class JsonPath
{
    /// <returns>Names (string) and indexes (int) in order, or null for a path this does not understand.</returns>
    public static List<object>? Parse(string path)
    {
        if (!path.StartsWith('$'))
        {
            return null;
        }
        var segments = new List<object>();
        var i = 1;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                segments.Add(path[(i + 1)..end]);
                i = end;
            }
            else if (path.AsSpan(i).StartsWith("['"))
            {
                var name = new StringBuilder();
                i += 2;
                while (i < path.Length && !path.AsSpan(i).StartsWith("']"))
                {
                    if (path[i] == '\\' && i + 1 < path.Length)
                    {
                        i++;
                    }
                    name.Append(path[i++]);
                }
                segments.Add(name.ToString());
                i += 2;
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i);
                if (end < 0 || !int.TryParse(path.AsSpan(i + 1, end - i - 1), out var index))
                {
                    return null;
                }
                segments.Add(index);
                i = end + 1;
            }
            else
            {
                return null;
            }
        }
        return segments;
    }

    /// <summary>As the <c>errors</c> keys spell a field: <c>components[0].status</c>.</summary>
    public static string Format(IEnumerable<object> segments)
    {
        var text = new StringBuilder();
        foreach (var segment in segments)
        {
            if (segment is int index)
            {
                text.Append('[').Append(index).Append(']');
            }
            else
            {
                text.Append(text.Length == 0 ? "" : ".").Append(segment);
            }
        }
        return text.ToString();
    }
}
