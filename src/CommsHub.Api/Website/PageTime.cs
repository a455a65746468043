using System.Globalization;

namespace CommsHub.Api.Website;

/// <summary>Times as the website shows them: in the page's time zone, with its offset written out, so no reader has to guess the zone.</summary>
internal static class PageTime
{
    public static DateTime Local(DateTimeOffset t, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(t, zone).DateTime;

    /// <summary>"5 Dec 2026, 22:00 UTC+01:00", HTML-encoded.</summary>
    public static string Time(DateTimeOffset t, TimeZoneInfo zone) =>
        SitePage.Encode(Local(t, zone).ToString("d MMM yyyy, HH:mm", CultureInfo.InvariantCulture) + " " + Abbreviation(zone, t));

    /// <summary>
    /// A window, HTML-encoded, as short as stays unambiguous: the end's date only when it is another day,
    /// and one offset unless daylight saving changes in between.
    /// </summary>
    public static string Window(DateTimeOffset from, DateTimeOffset until, TimeZoneInfo zone)
    {
        var start = Local(from, zone);
        var end = Local(until, zone);
        if (Abbreviation(zone, from) != Abbreviation(zone, until))
        {
            return $"{Time(from, zone)} – {Time(until, zone)}";
        }
        var endText = end.Date == start.Date
            ? end.ToString("HH:mm", CultureInfo.InvariantCulture)
            : end.ToString("d MMM yyyy, HH:mm", CultureInfo.InvariantCulture);
        return SitePage.Encode(start.ToString("d MMM yyyy, HH:mm", CultureInfo.InvariantCulture)) + " – "
            + SitePage.Encode($"{endText} {Abbreviation(zone, until)}");
    }

    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Duration(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{(int)span.TotalHours} h {span.Minutes} min" : $"{Math.Max(1, (int)Math.Round(span.TotalMinutes))} min";

    private static string Abbreviation(TimeZoneInfo zone, DateTimeOffset t)
    {
        var offset = TimeZoneInfo.ConvertTime(t, zone).Offset;
        return offset == TimeSpan.Zero ? "UTC"
            : "UTC" + (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture);
    }
}
