using System.Text.RegularExpressions;
using CommsHub.Core.Incidents;

namespace CommsHub.Tests.Incidents;

/// <summary>What of an operator's Markdown reaches the page: formatting yes, anything that runs or loads no.</summary>
public sealed partial class PostmortemMarkdownTests
{
    /// <summary>
    /// The markup in the output: raw HTML that Markdig turned into text is escaped (&amp;lt;) and harmless, so only
    /// real tags are looked at.
    /// </summary>
    private static List<string> Tags(string html) => [.. TagPattern().Matches(html).Select(m => m.Value)];

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex TagPattern();

    [Fact]
    public void Markdown_formatting_is_rendered_with_headings_below_the_page_s_own()
    {
        var html = PostmortemMarkdown.ToHtml("# Summary\n\nThe **database** failed over.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode <here>\n```");
        Assert.Contains("<h3>Summary</h3>", html, StringComparison.Ordinal);
        Assert.Contains("<strong>database</strong>", html, StringComparison.Ordinal);
        Assert.Contains("<li>two</li>", html, StringComparison.Ordinal);
        Assert.Contains("<td>2</td>", html, StringComparison.Ordinal);
        Assert.Contains("code &lt;here&gt;", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("Hello <img src=x onerror=alert(1)> world")]
    [InlineData("<div onclick=\"alert(1)\">raw</div>")]
    [InlineData("<iframe src=\"https://evil.example\"></iframe>")]
    [InlineData("![x](https://evil.example/x.png \"t\" onerror=alert(1))")]
    [InlineData("![x](javascript:alert(1))")]
    public void Raw_html_and_images_never_become_markup(string markdown)
    {
        var tags = Tags(PostmortemMarkdown.ToHtml(markdown));
        Assert.NotEmpty(tags);
        Assert.All(tags, tag =>
        {
            Assert.Matches("^</?(p|a|em)[ >]", tag);
            Assert.DoesNotMatch(@"\son\w+=", tag);
            Assert.DoesNotContain("javascript:", tag, StringComparison.OrdinalIgnoreCase);
        });
    }

    [Theory]
    [InlineData("[click](javascript:alert(1))")]
    [InlineData("[click](JaVaScRiPt:alert(1))")]
    [InlineData("[click](java&#x09;script:alert(1))")]
    [InlineData("[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)")]
    [InlineData("[click](vbscript:msgbox(1))")]
    [InlineData("<javascript:alert(1)>")]
    public void A_link_to_anything_but_http_https_or_mailto_loses_its_target(string markdown)
    {
        var tags = Tags(PostmortemMarkdown.ToHtml(markdown));
        Assert.Contains(tags, t => t.StartsWith("<a", StringComparison.Ordinal));
        Assert.All(tags, tag => Assert.DoesNotContain("href=", tag, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Http_https_and_mailto_links_stay_and_carry_nofollow_noopener()
    {
        var html = PostmortemMarkdown.ToHtml("[report](https://acme.example/rca) [old](http://acme.example) [us](mailto:ops@acme.example) https://auto.example/x");
        Assert.Contains("<a href=\"https://acme.example/rca\" rel=\"nofollow noopener\">report</a>", html, StringComparison.Ordinal);
        Assert.Contains("href=\"http://acme.example\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"mailto:ops@acme.example\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"https://auto.example/x\"", html, StringComparison.Ordinal);
        Assert.Equal(4, html.Split("rel=\"nofollow noopener\"").Length - 1);
    }

    [Fact]
    public void The_summary_is_plain_text_cut_at_a_word()
    {
        var summary = PostmortemMarkdown.Summary("# Summary\n\nOn **Monday** the [database](https://x.example) failed over.\n\n" + string.Concat(Enumerable.Repeat("word ", 100)), 80);
        Assert.StartsWith("Summary On Monday the database failed over.", summary, StringComparison.Ordinal);
        Assert.True(summary.Length <= 80, summary);
        Assert.EndsWith("word…", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("**", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", summary, StringComparison.Ordinal);
    }
}
