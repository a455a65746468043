using System.Globalization;

namespace CommsHub.Core.StatusPage.Feeds;

/// <summary>
/// A maintenance window as the calendar shows it. When StatusData gains its maintenance list, each
/// maintenance maps onto one of these; nothing else here changes.
/// </summary>
/// <param name="Revision">How many times the window changed after it was first published: it becomes the
/// event's SEQUENCE, which is what tells a subscribed calendar to replace its copy.</param>
internal sealed record MaintenanceWindow(
    Guid Id, string Title, string Description, DateTimeOffset ScheduledFor, DateTimeOffset ScheduledUntil,
    int Revision, bool Cancelled, DateTimeOffset UpdatedAt, string Shortlink);

/// <summary>The <c>/maintenances.ics</c> calendar (RFC 5545): one VEVENT per maintenance window.</summary>
internal static class MaintenanceCalendar
{
    public static string Write(StatusData data, IEnumerable<MaintenanceWindow> windows)
    {
        var site = StatusFeeds.SiteRoot(data.Page.Url);
        var ics = new IcsWriter()
            .Raw("BEGIN", "VCALENDAR")
            .Raw("PRODID", "-//CommsHub//Status page maintenances//EN")
            .Raw("VERSION", "2.0")
            .Raw("CALSCALE", "GREGORIAN")
            .Raw("METHOD", "PUBLISH")
            .Text("X-WR-CALNAME", $"{data.Page.Name} maintenance")
            // Subscribed calendars otherwise refresh when they please (often once a day); a moved window should land sooner.
            .Raw("REFRESH-INTERVAL;VALUE=DURATION", "PT1H")
            .Raw("X-PUBLISHED-TTL", "PT1H");
        foreach (var window in windows)
        {
            WriteEvent(ics, site, window, data.GeneratedAt);
        }
        return ics.Raw("END", "VCALENDAR").ToString();
    }

    private static void WriteEvent(IcsWriter ics, Uri site, MaintenanceWindow window, DateTimeOffset stamp) =>
        ics.Raw("BEGIN", "VEVENT")
            // The same UID for the window's whole life, so a change or a cancellation replaces the event instead of adding one.
            .Text("UID", $"maintenance-{window.Id:D}@{site.Host}")
            .Raw("SEQUENCE", window.Revision.ToString(CultureInfo.InvariantCulture))
            .Time("DTSTAMP", stamp)
            .Time("LAST-MODIFIED", window.UpdatedAt)
            .Time("DTSTART", window.ScheduledFor)
            .Time("DTEND", window.ScheduledUntil)
            .Text("SUMMARY", window.Title)
            .Text("DESCRIPTION", window.Description)
            .Raw("URL", new Uri(site, window.Shortlink).AbsoluteUri)
            .Raw("STATUS", window.Cancelled ? "CANCELLED" : "CONFIRMED")
            // Maintenance is something to know about, not time taken from the reader's own calendar.
            .Raw("TRANSP", "TRANSPARENT")
            .Raw("END", "VEVENT");
}
