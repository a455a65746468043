using System.ServiceModel.Syndication;
using System.Xml;
using System.Xml.Linq;
using CommsHub.Core.Common;
using CommsHub.Core.StatusPage;
using CommsHub.Core.StatusPage.Feeds;
using static CommsHub.Tests.StatusPage.StatusSample;

namespace CommsHub.Tests.StatusPage;

public sealed class StatusFeedsTests
{
    private static readonly StatusData Sample = StatusSample.Data();
    private static readonly XNamespace Atom = "http://www.w3.org/2005/Atom";

    private static SyndicationFeed Load(string xml)
    {
        using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
        return SyndicationFeed.Load(reader);
    }

    [Fact]
    public void Atom_has_one_entry_per_incident_newest_first_with_stable_tag_ids_and_shortlinks()
    {
        var feed = Load(StatusFeeds.Atom(Sample));

        var entries = feed.Items.ToList();
        Assert.Equal(["Elevated API error rates", "Delayed email notifications"], entries.Select(e => e.Title.Text));
        Assert.Equal(
            [$"tag:status.example.com,2026-11-27:incident/{StatusSample.OpenIncident}", $"tag:status.example.com,2026-11-20:incident/{StatusSample.ResolvedIncident}"],
            entries.Select(e => e.Id));
        Assert.Equal(
            [$"{StatusSample.PageUrl}/incidents/{StatusSample.OpenIncident}", $"{StatusSample.PageUrl}/incidents/{StatusSample.ResolvedIncident}"],
            entries.Select(e => e.Links.Single(l => l.RelationshipType == "alternate").Uri.AbsoluteUri));
        Assert.Equal(StatusFeeds.Atom(Sample), StatusFeeds.Atom(Sample));
    }

    [Fact]
    public void Atom_entries_are_updated_by_their_latest_update_and_published_when_opened()
    {
        var feed = Load(StatusFeeds.Atom(Sample));

        var entries = feed.Items.ToList();
        Assert.Equal([Seconds(StatusSample.Identified), StatusSample.LastWeek.AddMinutes(70)], entries.Select(e => e.LastUpdatedTime));
        Assert.Equal([StatusSample.Opened, StatusSample.LastWeek], entries.Select(e => e.PublishDate));
        Assert.Equal(Seconds(StatusSample.Identified), feed.LastUpdatedTime);
    }

    [Fact]
    public void Atom_content_is_html_of_every_update_with_status_time_and_escaped_body()
    {
        var content = Assert.IsType<TextSyndicationContent>(Load(StatusFeeds.Atom(Sample)).Items.First().Content);

        Assert.Equal("html", content.Type);
        Assert.Equal(
            "<p><small>27 Nov 2026, 21:30 UTC</small><br><strong>Identified</strong> - A faulty configuration push is being rolled back; &lt;b&gt;no data&lt;/b&gt; was lost &amp; writes are queued.</p>"
            + "<p><small>27 Nov 2026, 21:05 UTC</small><br><strong>Investigating</strong> - We are investigating elevated error rates on the API.<br>The web app is slow as a result.</p>",
            content.Text);
    }

    [Fact]
    public void Atom_document_is_atom_1_0_with_feed_id_self_link_and_author()
    {
        var xml = StatusFeeds.Atom(Sample);
        var root = XDocument.Parse(xml).Root!;

        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>", xml, StringComparison.Ordinal);
        Assert.Equal(Atom + "feed", root.Name);
        Assert.Equal($"{StatusSample.PageUrl}/history", root.Element(Atom + "id")!.Value);
        Assert.Equal("Acme - Incident History", root.Element(Atom + "title")!.Value);
        Assert.Equal("2026-11-27T21:30:00Z", root.Element(Atom + "updated")!.Value);
        Assert.Contains(root.Elements(Atom + "link"), l => (string?)l.Attribute("rel") == "self" && (string?)l.Attribute("href") == $"{StatusSample.PageUrl}/history.atom");
        Assert.Equal("Acme", root.Element(Atom + "author")!.Element(Atom + "name")!.Value);
        Assert.Equal(2, root.Elements(Atom + "entry").Count());
        Assert.All(root.Elements(Atom + "entry"), e => Assert.Equal("html", (string?)e.Element(Atom + "content")!.Attribute("type")));
    }

    [Fact]
    public void Rss_has_one_item_per_incident_with_guid_link_and_the_latest_update_as_pubdate()
    {
        var xml = StatusFeeds.Rss(Sample);
        var feed = Load(xml);
        var channel = XDocument.Parse(xml).Root!;

        Assert.Equal("rss", channel.Name.LocalName);
        Assert.Equal("2.0", (string?)channel.Attribute("version"));
        var items = feed.Items.ToList();
        Assert.Equal(["Elevated API error rates", "Delayed email notifications"], items.Select(i => i.Title.Text));
        Assert.Equal($"tag:status.example.com,2026-11-27:incident/{StatusSample.OpenIncident}", items[0].Id);
        Assert.Equal($"{StatusSample.PageUrl}/incidents/{StatusSample.OpenIncident}", items[0].Links.Single().Uri.AbsoluteUri);
        Assert.Equal([Seconds(StatusSample.Identified), StatusSample.LastWeek.AddMinutes(70)], items.Select(i => i.PublishDate));
        Assert.Equal(Seconds(StatusSample.Identified), feed.LastUpdatedTime);
        var guid = channel.Descendants("item").First().Element("guid")!;
        Assert.Equal("false", (string?)guid.Attribute("isPermaLink"));
        Assert.Equal("Fri, 27 Nov 2026 21:30:00 Z", channel.Descendants("item").First().Element("pubDate")!.Value);
    }

    [Fact]
    public void Rss_description_carries_the_same_update_html()
    {
        var items = Load(StatusFeeds.Rss(Sample)).Items.ToList();

        var summary = items[1].Summary.Text;
        Assert.Equal(
            "<p><small>20 Nov 2026, 09:10 UTC</small><br><strong>Resolved</strong> - Email delivery is back to normal.</p>"
            + "<p><small>20 Nov 2026, 08:40 UTC</small><br><strong>Monitoring</strong> - A fix is in place; we are watching the queue drain.</p>"
            + "<p><small>20 Nov 2026, 08:00 UTC</small><br><strong>Investigating</strong> - Emails are delayed by up to 20 minutes.</p>",
            summary);
    }

    [Fact]
    public void A_new_update_moves_the_entry_and_feed_time_but_keeps_the_id()
    {
        var later = StatusSample.Identified.AddMinutes(20);
        var open = StatusSample.Open();
        var updated = open with
        {
            Status = IncidentStatus.Monitoring,
            Updates = [new(Guid.NewGuid(), IncidentStatus.Monitoring, "Rolled back.", later, []), .. open.Updates],
        };

        var before = Load(StatusFeeds.Atom(Sample)).Items.First();
        var after = Load(StatusFeeds.Atom(StatusSample.Data([updated, StatusSample.Resolved()])));

        Assert.Equal(before.Id, after.Items.First().Id);
        Assert.Equal(Seconds(later), after.Items.First().LastUpdatedTime);
        Assert.Equal(Seconds(later), after.LastUpdatedTime);
        Assert.StartsWith("<p><small>27 Nov 2026, 21:50 UTC</small><br><strong>Monitoring</strong> - Rolled back.</p>",
            ((TextSyndicationContent)after.Items.First().Content).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Feeds_carry_at_most_the_50_newest_incidents()
    {
        var data = StatusSample.Data(StatusSample.History(60));

        Assert.Equal(Enumerable.Range(1, 50).Select(n => $"Incident {n}"), Load(StatusFeeds.Atom(data)).Items.Select(i => i.Title.Text));
        Assert.Equal(50, Load(StatusFeeds.Rss(data)).Items.Count());
    }

    [Fact]
    public void A_page_without_incidents_gives_valid_empty_feeds_dated_by_the_page()
    {
        var data = StatusSample.Data([]);

        var atom = Load(StatusFeeds.Atom(data));
        var rss = Load(StatusFeeds.Rss(data));

        Assert.Empty(atom.Items);
        Assert.Empty(rss.Items);
        Assert.Equal(Seconds(data.Page.UpdatedAt), atom.LastUpdatedTime);
    }

    [Fact]
    public void Links_keep_a_path_prefix_the_site_is_served_under()
    {
        var data = Sample with { Page = Sample.Page with { Url = "https://example.com/status/" } };
        var incident = StatusSample.Open() with { Shortlink = "incidents/abc" };

        var feed = Load(StatusFeeds.Atom(data with { Incidents = [incident] }));

        Assert.Equal("https://example.com/status/incidents/abc", feed.Items.Single().Links.Single(l => l.RelationshipType == "alternate").Uri.AbsoluteUri);
        Assert.Contains(feed.Links, l => l.RelationshipType == "self" && l.Uri.AbsoluteUri == "https://example.com/status/history.atom");
    }
}
