using System.Text.RegularExpressions;
using CommsHub.Core.Common;
using Ganss.Xss;
using Markdig;
using Markdig.Renderers;
using Markdig.Syntax;

namespace CommsHub.Core.Incidents;

/// <summary>
/// A postmortem's Markdown as the public surfaces show it. Markdig renders it with raw HTML turned
/// off (an operator's <c>&lt;script&gt;</c> comes out as text), and the result is sanitised against an
/// allow-list of the tags this pipeline emits all the same, so a Markdig quirk or a future extension
/// cannot put markup on the page that the allow-list does not name. Links keep http, https and
/// mailto only and carry <c>rel="nofollow noopener"</c>. Images are dropped: the status page loads
/// nothing from another host.
/// </summary>
public static partial class PostmortemMarkdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .DisableHtml()
        .UsePipeTables()
        .UseEmphasisExtras()
        .UseAutoLinks()
        .Build();

    private static readonly string[] Tags =
    [
        "p", "br", "hr", "h3", "h4", "h5", "h6", "strong", "em", "del", "ins", "sub", "sup", "mark", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
    ];

    /// <summary>Sanitised HTML for the page, the feeds and the admin API.</summary>
    public static string ToHtml(string markdown)
    {
        var document = Markdown.Parse(PublicText.Clean(markdown), Pipeline);
        // The page's title is its h1 and "Postmortem" its h2: the postmortem's own headings sit below them.
        foreach (var heading in document.Descendants<HeadingBlock>())
        {
            heading.Level = Math.Min(heading.Level + 2, 6);
        }
        using var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        renderer.Render(document);
        writer.Flush();
        return Sanitizer().Sanitize(writer.ToString()).Trim();
    }

    /// <summary>
    /// The postmortem as one line of plain text, cut at a word to at most <paramref name="maxLength"/>
    /// characters: what a message to subscribers quotes before its link.
    /// </summary>
    public static string Summary(string markdown, int maxLength)
    {
        var text = Whitespace().Replace(Markdown.ToPlainText(PublicText.Clean(markdown), Pipeline), " ").Trim();
        if (text.Length <= maxLength)
        {
            return text;
        }
        var cut = text.LastIndexOf(' ', maxLength - 1);
        return string.Concat(text.AsSpan(0, cut > maxLength / 2 ? cut : maxLength - 1).TrimEnd(), "…");
    }

    // A new one per call: its options are sets the caller could change, and a snapshot renders few postmortems.
    private static HtmlSanitizer Sanitizer()
    {
        var sanitizer = new HtmlSanitizer(new HtmlSanitizerOptions
        {
            AllowedTags = new HashSet<string>(Tags, StringComparer.OrdinalIgnoreCase),
            AllowedAttributes = new HashSet<string>(["href", "start", "title"], StringComparer.OrdinalIgnoreCase),
            AllowedSchemes = new HashSet<string>(["http", "https", "mailto"], StringComparer.OrdinalIgnoreCase),
            UriAttributes = new HashSet<string>(["href"], StringComparer.OrdinalIgnoreCase),
            AllowedCssProperties = new HashSet<string>(StringComparer.OrdinalIgnoreCase),
            AllowedAtRules = new HashSet<AngleSharp.Css.Dom.CssRuleType>(),
            AllowedClasses = new HashSet<string>(StringComparer.OrdinalIgnoreCase),
        });
        sanitizer.PostProcessNode += (_, e) =>
        {
            if (e.Node is AngleSharp.Dom.IElement { LocalName: "a" } link)
            {
                link.SetAttribute("rel", "nofollow noopener");
            }
        };
        return sanitizer;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
