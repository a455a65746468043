using System.Text;
using System.Text.RegularExpressions;

namespace CommsHub.Core.Channels.Chat;

/// <summary>
/// What each medium needs done to operator text so that it shows exactly as typed and can ping no one.
/// Operators write incident text for every channel at once, so none of it is taken as markup.
/// </summary>
public static partial class ChatText
{
    /// <summary>Line breaks as <c>\n</c> and no other control characters: they show as boxes, or make a provider refuse the JSON.</summary>
    public static string Clean(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }
        var builder = new StringBuilder(text.Length);
        foreach (var c in text.ReplaceLineEndings("\n"))
        {
            if (!char.IsControl(c) || c is '\n' or '\t')
            {
                builder.Append(c);
            }
        }
        return builder.ToString().Trim();
    }

    /// <summary>
    /// Slack mrkdwn: the three characters Slack asks senders to escape. Without a raw <c>&lt;</c> no
    /// <c>&lt;!channel&gt;</c>, <c>&lt;@U…&gt;</c> or link can form; a bare "@channel" notifies no one.
    /// </summary>
    public static string Slack(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>A URL inside Slack's <c>&lt;url|label&gt;</c>, where a raw <c>|</c> would end it early.</summary>
    public static string SlackUrl(string url) => Slack(url).Replace("|", "%7C");

    /// <summary>
    /// Discord markdown: a backslash before each formatting character (inline ones anywhere, block ones at
    /// the start of a line), so <c>&lt;@&amp;role&gt;</c> and <c>&lt;t:…&gt;</c> show as text, and a zero-width
    /// space inside @everyone and @here so no client highlights them. allowed_mentions is what stops pings.
    /// </summary>
    public static string Discord(string text) =>
        MassMention().Replace(EscapeOutsideUrls(text, "\\*_~`|<[]", "#->"), "@\u200B$1");

    /// <summary>
    /// Adaptive Card text in Teams: <c>&amp;</c>, <c>&lt;</c> and <c>&gt;</c> as entities (Teams reads tags such
    /// as <c>&lt;at&gt;</c> before its Markdown), other Markdown characters behind a backslash.
    /// </summary>
    public static string Teams(string text) =>
        EscapeOutsideUrls(text, "\\*_~`[]", "#-+").Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>
    /// Backslash-escapes <paramref name="anywhere"/> characters, and <paramref name="lineStart"/> ones that
    /// open a line (after indentation), outside URLs: an escaped URL would stop being a working link.
    /// </summary>
    private static string EscapeOutsideUrls(string text, string anywhere, string lineStart)
    {
        var builder = new StringBuilder(text.Length + 16);
        var urls = Url().Matches(text);
        var next = 0;
        var atLineStart = true;
        for (var i = 0; i < text.Length; i++)
        {
            while (next < urls.Count && urls[next].Index + urls[next].Length <= i)
            {
                next++;
            }
            var c = text[i];
            var inUrl = next < urls.Count && urls[next].Index <= i;
            if (!inUrl && (anywhere.Contains(c) || (atLineStart && lineStart.Contains(c))))
            {
                builder.Append('\\');
            }
            builder.Append(c);
            atLineStart = c == '\n' || (atLineStart && c is ' ' or '\t');
        }
        return builder.ToString();
    }

    [GeneratedRegex(@"https?://[^\s<>]+", RegexOptions.IgnoreCase)]
    private static partial Regex Url();

    [GeneratedRegex("@(everyone|here)", RegexOptions.IgnoreCase)]
    private static partial Regex MassMention();
}
