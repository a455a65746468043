using System.Text;
using CommsHub.Core.Common;
using CommsHub.Core.StatusPage;
using static CommsHub.Api.Website.PageTime;
using static CommsHub.Api.Website.StatusPageHtml;

namespace CommsHub.Api.Website;

/// <summary>
/// Maintenances on the website: a banner for each open window, the upcoming ones with their window in
/// the page's time zone, and the head of a maintenance's own page.
/// </summary>
internal static class MaintenanceHtml
{
    /// <summary>One banner per window open now, under the page's overall status.</summary>
    public static string ActiveBanners(StatusData data, TimeZoneInfo zone)
    {
        var html = new StringBuilder();
        foreach (var m in data.ActiveMaintenances)
        {
            html.Append("<section class=\"card banner maintenance\" aria-label=\"Maintenance in progress\"><span aria-hidden=\"true\">🔧</span><div>")
                .Append($"<a href=\"/incidents/{m.Id}\">{E(m.Incident.Title)}</a>")
                .Append($"<p>{E(Labels.Of(m.Status))} · scheduled {Window(m, zone)}</p>");
            if (m.Incident.Updates.Count > 0)
            {
                html.Append($"<p class=\"muted\">{E(m.Incident.Updates[0].Body)}</p>");
            }
            html.Append("</div></section>");
        }
        return html.ToString();
    }

    /// <summary>Windows still to come, soonest first; nothing when there are none.</summary>
    public static string Upcoming(StatusData data, TimeZoneInfo zone)
    {
        var upcoming = data.UpcomingMaintenances.ToList();
        if (upcoming.Count == 0)
        {
            return "";
        }
        var html = new StringBuilder("<section aria-labelledby=\"upcoming\"><h2 id=\"upcoming\">Upcoming maintenance</h2>");
        foreach (var m in upcoming)
        {
            html.Append($"<article class=\"card\"><div class=\"row\"><h3><a href=\"/incidents/{m.Id}\">{E(m.Incident.Title)}</a></h3>")
                .Append("<span class=\"muted\">Scheduled</span></div>")
                .Append($"<p>{Window(m, zone)}</p>");
            if (m.Incident.Components.Count > 0)
            {
                html.Append("<p class=\"muted\">Affects ").Append(string.Join(", ", m.Incident.Components.Select(c => E(c.Name)))).Append("</p>");
            }
            // The announcement (or the latest change, a move say) says what the work is.
            if (m.Incident.Updates.Count > 0)
            {
                html.Append($"<p>{E(m.Incident.Updates[0].Body)}</p>");
            }
            html.Append("</article>");
        }
        return html.Append("</section>").ToString();
    }

    /// <summary>A maintenance page's status line and its window, in place of an incident's impact and duration.</summary>
    public static string Summary(MaintenanceData m, TimeZoneInfo zone)
    {
        var status = m.CancelledAt is null ? Labels.Of(m.Status) : "Cancelled";
        var html = new StringBuilder($"<p><strong>{E(status)}</strong> · Scheduled maintenance</p>")
            .Append($"<p>Scheduled {Window(m, zone)}</p>");
        if (m.CancelledAt is { } cancelled)
        {
            html.Append($"<p class=\"muted\">Cancelled {Time(cancelled, zone)}</p>");
        }
        else if (m.Incident.ResolvedAt is { } completed)
        {
            html.Append($"<p class=\"muted\">Completed {Time(completed, zone)}</p>");
        }
        return html.ToString();
    }

    private static string Window(MaintenanceData m, TimeZoneInfo zone) =>
        $"<time datetime=\"{Iso(m.ScheduledFor)}\">{PageTime.Window(m.ScheduledFor, m.ScheduledUntil, zone)}</time>";
}
