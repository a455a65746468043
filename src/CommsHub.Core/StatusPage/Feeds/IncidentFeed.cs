using System.Globalization;
using System.Net;
using System.ServiceModel.Syndication;
using System.Text;
using CommsHub.Core.Common;

namespace CommsHub.Core.StatusPage.Feeds;

/// <summary>
/// One feed entry per incident whose content is every update so far, newest first, and whose updated
/// time moves with each update: readers show the incident again as it progresses, under the same id.
/// A published postmortem is an entry of its own, just before its incident's.
/// </summary>
internal static class IncidentFeed
{
    public enum Format { Atom, Rss }

    public static SyndicationFeed Build(StatusData data, Format format)
    {
        var page = StatusFeeds.SiteRoot(data.Page.Url);
        var history = new Uri(page, "history");
        var incidents = data.Incidents.Take(StatusFeeds.EntryLimit).ToList();
        // XML 1.0 cannot carry most control characters: every text goes through PublicText, or one pasted ESC
        // in an old row would make the writer throw and take the feed down.
        var name = PublicText.Clean(data.Page.Name);
        var feed = new SyndicationFeed(
            $"{name} - Incident History", $"Incidents on the {name} status page", history,
            history.AbsoluteUri, incidents.Count == 0 ? data.Page.UpdatedAt : incidents.Max(LastChange))
        {
            Items = [.. incidents.SelectMany(i => i.Postmortem is { } postmortem
                ? new[] { PostmortemEntry(page, i, postmortem, format), Entry(page, i, format) }
                : [Entry(page, i, format)])],
        };
        feed.Links.Add(SyndicationLink.CreateSelfLink(new Uri(page, format == Format.Atom ? "history.atom" : "history.rss")));
        if (format == Format.Atom)
        {
            // Atom wants an author on every entry or on the feed; RSS has no author without an email address.
            feed.Authors.Add(new SyndicationPerson { Name = name, Uri = page.AbsoluteUri });
        }
        return feed;
    }

    /// <summary>The newest thing that changed the incident: its latest update, or an edit made after it.</summary>
    public static DateTimeOffset LastChange(IncidentData incident) =>
        incident.Updates.Select(u => u.CreatedAt).Append(incident.UpdatedAt).Max();

    /// <summary>
    /// A tag URI (RFC 4151) on the page's host and the incident's opening day: unlike the incident's link,
    /// it cannot change if the shortlink or the site's paths do.
    /// </summary>
    public static string EntryId(Uri page, IncidentData incident) =>
        FormattableString.Invariant($"tag:{page.Host},{incident.CreatedAt.UtcDateTime:yyyy-MM-dd}:incident/{incident.Id:D}");

    private static SyndicationItem Entry(Uri page, IncidentData incident, Format format)
    {
        var html = Html(incident);
        var item = new SyndicationItem
        {
            Id = EntryId(page, incident),
            Title = new TextSyndicationContent(PublicText.Clean(incident.Title)),
            LastUpdatedTime = LastChange(incident),
            // RSS readers have only pubDate to notice a change by, so it moves with the updates there.
            PublishDate = format == Format.Rss ? LastChange(incident) : incident.CreatedAt,
        };
        item.Links.Add(SyndicationLink.CreateAlternateLink(new Uri(page, incident.Shortlink), "text/html"));
        if (format == Format.Atom)
        {
            item.Content = SyndicationContent.CreateHtmlContent(html);
        }
        else
        {
            item.Summary = new TextSyndicationContent(html, TextSyndicationContentKind.Html);
        }
        return item;
    }

    /// <summary>
    /// A postmortem is an entry of its own, beside its incident's, so a reader shows it as news rather than as
    /// one more change to an old entry; a replaced text moves its updated time under the same id.
    /// </summary>
    private static SyndicationItem PostmortemEntry(Uri page, IncidentData incident, PostmortemData postmortem, Format format)
    {
        var item = new SyndicationItem
        {
            Id = EntryId(page, incident) + "/postmortem",
            Title = new TextSyndicationContent("Postmortem: " + PublicText.Clean(incident.Title)),
            LastUpdatedTime = postmortem.UpdatedAt,
            PublishDate = format == Format.Rss ? postmortem.UpdatedAt : postmortem.PublishedAt,
        };
        item.Links.Add(SyndicationLink.CreateAlternateLink(new Uri(page, incident.Shortlink + "#postmortem"), "text/html"));
        // Already sanitised HTML (PostmortemMarkdown): the writer escapes it once more as the feed's text.
        if (format == Format.Atom)
        {
            item.Content = SyndicationContent.CreateHtmlContent(postmortem.Html);
        }
        else
        {
            item.Summary = new TextSyndicationContent(postmortem.Html, TextSyndicationContentKind.Html);
        }
        return item;
    }

    /// <summary>Statuspage's layout: one paragraph per update with its time, its status in bold, then the text.</summary>
    private static string Html(IncidentData incident)
    {
        var html = new StringBuilder();
        foreach (var update in incident.Updates)
        {
            var body = WebUtility.HtmlEncode(PublicText.Clean(update.Body).ReplaceLineEndings("\n")).Replace("\n", "<br>", StringComparison.Ordinal);
            html.Append(CultureInfo.InvariantCulture,
                $"<p><small>{update.CreatedAt.UtcDateTime:d MMM yyyy, HH:mm} UTC{Edited(update.EditedAt)}</small><br><strong>{WebUtility.HtmlEncode(Labels.Of(update.Status))}</strong> - {body}</p>");
        }
        return html.ToString();
    }

    private static string Edited(DateTimeOffset? at) =>
        at is { } edited ? string.Create(CultureInfo.InvariantCulture, $" (edited {edited.UtcDateTime:d MMM yyyy, HH:mm} UTC)") : "";
}
