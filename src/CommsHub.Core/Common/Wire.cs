using System.Collections.Concurrent;
using System.Text.Json;

namespace CommsHub.Core.Common;

/// <summary>
/// The contract spells every enum value as Statuspage does (snake_case). One mapping serves
/// JSON, the database columns and validation messages, so the three can never disagree.
/// </summary>
public static class Wire
{
    private static readonly ConcurrentDictionary<Type, (Dictionary<string, object> Parse, Dictionary<object, string> Format)> Maps = new();

    public static string ToWire<TEnum>(this TEnum value) where TEnum : struct, Enum => Map(typeof(TEnum)).Format[value];

    public static bool TryParse<TEnum>(string? text, out TEnum value) where TEnum : struct, Enum
    {
        if (text is not null && Map(typeof(TEnum)).Parse.TryGetValue(text, out var boxed))
        {
            value = (TEnum)boxed;
            return true;
        }
        value = default;
        return false;
    }

    public static TEnum Parse<TEnum>(string text) where TEnum : struct, Enum =>
        TryParse<TEnum>(text, out var value) ? value : throw new FormatException($"'{text}' is not a {typeof(TEnum).Name}.");

    public static IEnumerable<string> Values<TEnum>() where TEnum : struct, Enum => Map(typeof(TEnum)).Format.Values;

    /// <summary>"must be one of: a, b, c" — the phrase used in every field error about an enum.</summary>
    public static string OneOf<TEnum>() where TEnum : struct, Enum => "must be one of: " + string.Join(", ", Values<TEnum>());

    private static (Dictionary<string, object> Parse, Dictionary<object, string> Format) Map(Type type) =>
        Maps.GetOrAdd(type, static t =>
        {
            var parse = new Dictionary<string, object>(StringComparer.Ordinal);
            var format = new Dictionary<object, string>();
            foreach (var value in Enum.GetValues(t))
            {
                var name = JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString()!);
                parse[name] = value;
                format[value] = name;
            }
            return (parse, format);
        });
}
