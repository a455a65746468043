using System.Globalization;

namespace CommsHub.Api.OperatorConsole.Pages.Admin;

/// <summary>
/// A <c>datetime-local</c> field holds a wall-clock time without a zone: the console reads and writes it
/// in the operator's zone (<see cref="OperatorTime"/>), so what they type is what they mean.
/// </summary>
internal static class LocalDateTime
{
    public const string Format = "yyyy-MM-ddTHH:mm";

    public static string ToField(HttpContext http, DateTimeOffset at) => OperatorTime.Local(http, at).ToString(Format, CultureInfo.InvariantCulture);

    /// <returns>The instant, or null with <paramref name="error"/> for an empty, unreadable or non-existent time (a clock change skips it).</returns>
    public static DateTimeOffset? FromField(HttpContext http, string? text, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "Give a date and time.";
            return null;
        }
        if (!DateTime.TryParseExact(text.Trim(), [Format, "yyyy-MM-ddTHH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            error = $"'{text}' is not a date and time such as 2026-05-01T22:00.";
            return null;
        }
        var zone = OperatorTime.Zone(http);
        if (zone.IsInvalidTime(local))
        {
            error = $"{text} does not exist in {OperatorTime.ZoneName(http)}: the clocks skip it. Choose another time.";
            return null;
        }
        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(local, zone), TimeSpan.Zero);
    }
}
