using System.Net;
using System.Text.RegularExpressions;

namespace CommsHub.Core.Channels.Social;

/// <summary>A link in a post's text, in UTF-16 offsets.</summary>
internal readonly record struct SocialLink(int Start, int Length, string Url, bool HasScheme)
{
    public int End => Start + Length;
}

/// <summary>
/// Finds links the way the networks' linkifiers roughly do, to count them (Mastodon and X shorten
/// every link they recognise to 23 characters), to keep them whole when cutting, and to mark them
/// up for Bluesky, which links nothing by itself.
/// </summary>
internal static partial class SocialLinks
{
    public const int ShortLinkLength = 23;

    // Top-level domains both Mastodon's and X's twitter-text surely recognise; any two-letter one is a country.
    private static readonly HashSet<string> KnownTlds = new(StringComparer.OrdinalIgnoreCase)
    {
        "com", "net", "org", "edu", "gov", "mil", "int", "info", "biz", "name", "pro", "mobi", "aero", "coop",
        "museum", "jobs", "travel", "tel", "asia", "cat", "app", "dev", "cloud", "online", "site", "tech", "xyz", "page", "blog", "shop",
    };

    /// <summary>http(s) links, plus (when asked) bare domains such as example.com that X links too.</summary>
    public static List<SocialLink> Find(string text, bool bareDomains = false)
    {
        var links = new List<SocialLink>();
        foreach (Match match in SchemeUrl().Matches(text))
        {
            Add(links, match, hasScheme: true);
        }
        if (bareDomains)
        {
            foreach (Match match in BareDomain().Matches(text))
            {
                if (!links.Any(l => match.Index < l.End && l.Start < match.Index + match.Length))
                {
                    Add(links, match, hasScheme: false);
                }
            }
            links.Sort((a, b) => a.Start.CompareTo(b.Start));
        }
        return links;
    }

    /// <summary>
    /// Yes when the network surely shortens the link to 23; null when it may (a top-level domain it may
    /// not know); no when it surely does not (localhost, an IP address, a single-label host).
    /// </summary>
    public static bool? IsShortened(SocialLink link)
    {
        var host = link.HasScheme
            ? (Uri.TryCreate(link.Url, UriKind.Absolute, out var uri) ? uri.IdnHost : "")
            : link.Url.Split('/', 2)[0];
        var labels = host.Split('.');
        if (labels.Length < 2 || IPAddress.TryParse(host, out _) || !labels[^1].All(char.IsAsciiLetter))
        {
            return false;
        }
        return link.HasScheme && (labels[^1].Length == 2 || KnownTlds.Contains(labels[^1])) ? true : null;
    }

    private static void Add(List<SocialLink> links, Match match, bool hasScheme)
    {
        var url = TrimTrailingPunctuation(match.Value);
        if (url.Length > 0)
        {
            links.Add(new SocialLink(match.Index, url.Length, url, hasScheme));
        }
    }

    // Sentence punctuation after a link is not part of it; a closing bracket only when the link opened none.
    private static string TrimTrailingPunctuation(string url)
    {
        while (url.Length > 0)
        {
            var last = url[^1];
            var unbalanced = last == ')' && url.Count(c => c == '(') < url.Count(c => c == ')');
            if (!".,;:!?'\"…*".Contains(last, StringComparison.Ordinal) && !unbalanced && last != ']')
            {
                break;
            }
            url = url[..^1];
        }
        return url;
    }

    [GeneratedRegex(@"https?://[^\s<>""“”‘’…]+", RegexOptions.IgnoreCase)]
    private static partial Regex SchemeUrl();

    [GeneratedRegex(@"(?<![\w@/.:-])(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+\p{L}{2,}(?:/[^\s<>""“”‘’…]*)?(?![\w@-])")]
    private static partial Regex BareDomain();
}
