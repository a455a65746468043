using System.Globalization;
using CommsHub.Core.Common;

namespace CommsHub.Core.StatusPage.Feeds;

/// <summary>A maintenance window as the calendar shows it.</summary>
/// <param name="Revision">Rises with every change to the window after it was first published: it becomes the
/// event's SEQUENCE, which is what tells a subscribed calendar to replace its copy.</param>
internal sealed record MaintenanceWindow(
    Guid Id, string Title, string Description, DateTimeOffset ScheduledFor, DateTimeOffset ScheduledUntil,
    int Revision, bool Cancelled, DateTimeOffset UpdatedAt, string Shortlink)
{
    public static MaintenanceWindow From(MaintenanceData maintenance)
    {
        var incident = maintenance.Incident;
        return new MaintenanceWindow(
            incident.Id, incident.Title, Describe(incident), maintenance.ScheduledFor, maintenance.ScheduledUntil,
            // Every change to a maintenance (a move, a retitle, a transition, even an unannounced one) moves its
            // UpdatedAt and nothing else moves it back, so the seconds since it was created only ever rise with it.
            (int)Math.Clamp((incident.UpdatedAt - incident.CreatedAt).TotalSeconds, 0, int.MaxValue),
            maintenance.CancelledAt is not null, incident.UpdatedAt, incident.Shortlink);
    }

    /// <summary>Where it stands (the latest public update), then what it is about (the announcement).</summary>
    private static string Describe(IncidentData incident) => incident.Updates switch
    {
        [] => "",
        [var only] => only.Body,
        [var latest, .., var announcement] => $"{Labels.Of(latest.Status)}: {latest.Body}\n\n{announcement.Body}",
    };
}

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
            WriteEvent(ics, site, window);
        }
        return ics.Raw("END", "VCALENDAR").ToString();
    }

    private static void WriteEvent(IcsWriter ics, Uri site, MaintenanceWindow window) =>
        ics.Raw("BEGIN", "VEVENT")
            // The same UID for the window's whole life, so a change or a cancellation replaces the event instead of adding one.
            .Text("UID", $"maintenance-{window.Id:D}@{site.Host}")
            .Raw("SEQUENCE", window.Revision.ToString(CultureInfo.InvariantCulture))
            // The revision's time, not the snapshot's: an unchanged window must read the same at every rebuild,
            // or calendar clients (and the snapshot's ETag) would see a change every time.
            .Time("DTSTAMP", window.UpdatedAt)
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
