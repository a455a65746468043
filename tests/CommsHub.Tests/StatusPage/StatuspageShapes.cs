using System.Text.Json;
using System.Text.RegularExpressions;

namespace CommsHub.Tests.StatusPage;

/// <summary>
/// Statuspage's public API v2 shapes, written out field by field from its documented responses
/// (<c>&lt;page&gt;.statuspage.io/api/v2</c>), so a test fails on any renamed, missing or extra field.
/// </summary>
internal static partial class StatuspageShapes
{
    public static readonly string[] PageKeys = ["id", "name", "url", "time_zone", "updated_at"];

    public static readonly string[] StatusKeys = ["indicator", "description"];

    public static readonly string[] ComponentKeys =
    [
        "id", "name", "status", "created_at", "updated_at", "position", "description", "showcase", "start_date",
        "group_id", "page_id", "group", "only_show_if_degraded",
    ];

    public static readonly string[] GroupKeys = [.. ComponentKeys, "components"];

    public static readonly string[] IncidentKeys =
    [
        "id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact", "shortlink",
        "started_at", "page_id", "incident_updates", "components",
        "postmortem_body", "postmortem_body_last_updated_at", "postmortem_ignored", "postmortem_notified_subscribers",
        "postmortem_notified_twitter", "postmortem_published_at",
    ];

    /// <summary>A scheduled maintenance: the incident object, then its window, in this order.</summary>
    public static readonly string[] MaintenanceKeys = [.. IncidentKeys, "scheduled_for", "scheduled_until"];

    public static readonly string[] UpdateKeys =
    [
        "id", "status", "body", "incident_id", "created_at", "updated_at", "display_at", "affected_components",
        "deliver_notifications", "custom_tweet", "tweet_id",
    ];

    public static readonly string[] AffectedComponentKeys = ["code", "name", "old_status", "new_status"];

    public static readonly string[] Indicators = ["none", "minor", "major", "critical", "maintenance"];
    public static readonly string[] ComponentStatuses = ["operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"];
    public static readonly string[] IncidentStatuses = ["investigating", "identified", "monitoring", "resolved", "postmortem"];
    public static readonly string[] MaintenanceStatuses = ["scheduled", "in_progress", "verifying", "completed"];
    public static readonly string[] Impacts = ["none", "minor", "major", "critical"];

    public static void HasExactly(JsonElement element, IEnumerable<string> keys)
    {
        Assert.Equal(JsonValueKind.Object, element.ValueKind);
        Assert.Equal(keys.Order(StringComparer.Ordinal), element.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    public static string String(JsonElement element, string key)
    {
        var value = element.GetProperty(key);
        Assert.True(value.ValueKind == JsonValueKind.String, $"{key} should be a string, is {value.ValueKind}");
        return value.GetString()!;
    }

    public static string? NullableString(JsonElement element, string key)
    {
        var value = element.GetProperty(key);
        Assert.True(value.ValueKind is JsonValueKind.String or JsonValueKind.Null, $"{key} should be a string or null, is {value.ValueKind}");
        return value.ValueKind == JsonValueKind.Null ? null : value.GetString();
    }

    public static bool Bool(JsonElement element, string key)
    {
        var value = element.GetProperty(key);
        Assert.True(value.ValueKind is JsonValueKind.True or JsonValueKind.False, $"{key} should be a boolean, is {value.ValueKind}");
        return value.GetBoolean();
    }

    public static int Int(JsonElement element, string key)
    {
        var value = element.GetProperty(key);
        Assert.True(value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _), $"{key} should be an integer, is {value}");
        return value.GetInt32();
    }

    public static JsonElement Array(JsonElement element, string key)
    {
        var value = element.GetProperty(key);
        Assert.True(value.ValueKind == JsonValueKind.Array, $"{key} should be an array, is {value.ValueKind}");
        return value;
    }

    /// <summary>A timestamp in Statuspage's style: ISO 8601 with milliseconds and an offset.</summary>
    public static DateTimeOffset Time(JsonElement element, string key)
    {
        var text = String(element, key);
        Assert.Matches(TimestampPattern(), text);
        return DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
    }

    public static DateTimeOffset? NullableTime(JsonElement element, string key) =>
        element.GetProperty(key).ValueKind == JsonValueKind.Null ? null : Time(element, key);

    public static void OneOf(IEnumerable<string> allowed, string value) => Assert.Contains(value, allowed);

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex TimestampPattern();
}
