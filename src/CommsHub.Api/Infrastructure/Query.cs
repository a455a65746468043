using CommsHub.Core.Common;

namespace CommsHub.Api.Infrastructure;

/// <summary>Query-string parsing that reports every bad parameter as a field error.</summary>
internal static class Query
{
    public static TEnum? Enum<TEnum>(string? text, string field, FieldErrors errors) where TEnum : struct, System.Enum
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        if (Wire.TryParse<TEnum>(text, out var value))
        {
            return value;
        }
        errors.Add(field, $"'{text}' {Wire.OneOf<TEnum>()}.");
        return null;
    }

    public static Guid? Id(string? text, string field, FieldErrors errors)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        if (Guid.TryParse(text, out var id))
        {
            return id;
        }
        errors.Add(field, $"'{text}' is not an id.");
        return null;
    }

    public static int Limit(int? limit, int max, FieldErrors errors, int fallback = 100)
    {
        if (limit is null)
        {
            return fallback;
        }
        if (limit < 1 || limit > max)
        {
            errors.Add("limit", $"limit must be between 1 and {max}.");
            return fallback;
        }
        return limit.Value;
    }
}
