using System.ServiceModel.Syndication;
using System.Text;
using System.Xml;

namespace CommsHub.Core.StatusPage.Feeds;

/// <summary>
/// The public feeds: incident history as Atom 1.0 (<c>/history.atom</c>) and RSS 2.0 (<c>/history.rss</c>),
/// and scheduled maintenances as an iCalendar file (<c>/maintenances.ics</c>).
/// </summary>
public static class StatusFeeds
{
    /// <summary>Statuspage's history feeds carry the 50 most recent incidents.</summary>
    public const int EntryLimit = 50;

    public static string Atom(StatusData data) => Xml(IncidentFeed.Build(data, IncidentFeed.Format.Atom).SaveAsAtom10);

    public static string Rss(StatusData data) => Xml(IncidentFeed.Build(data, IncidentFeed.Format.Rss).SaveAsRss20);

    /// <summary>Every maintenance the snapshot holds, cancelled ones included: STATUS:CANCELLED takes them off calendars that had them.</summary>
    public static string Ics(StatusData data) => MaintenanceCalendar.Write(data, data.Maintenances.Select(MaintenanceWindow.From));

    /// <summary>The page URL as a base for relative links, keeping any path prefix the site is served under.</summary>
    internal static Uri SiteRoot(string pageUrl) => new(pageUrl.TrimEnd('/') + "/", UriKind.Absolute);

    // Through a byte stream rather than a StringWriter, so the XML declaration says UTF-8, which is how it is served.
    private static string Xml(Action<XmlWriter> save)
    {
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
        {
            save(writer);
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
