using System.Globalization;
using System.Text;

namespace CommsHub.Core.Channels.Social;

/// <summary>
/// The one place that knows each network's post limit and how it counts towards it. Where a network's
/// own count is uncertain we count at least as much as it could, so a post we call fitting is never
/// refused as too long.
/// </summary>
public sealed class SocialMedium
{
    /// <summary>
    /// 500 characters (code points: never fewer than the grapheme clusters current Mastodon counts),
    /// every http(s) link counting 23 whatever its length.
    /// </summary>
    public static readonly SocialMedium Mastodon = new("mastodon", 500, MastodonLength);

    /// <summary>300 graphemes (an emoji, however many code points, is one), and at most 3,000 UTF-8 bytes: the record schema's two limits.</summary>
    public static readonly SocialMedium Bluesky = new("bluesky", 300, BlueskyLength, maxUtf8Bytes: 3000);

    /// <summary>
    /// 280 weighted characters: code points in U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F and
    /// U+2032–U+2037 weigh 1, anything else (CJK, most symbols) 2, an emoji sequence 2 as a whole,
    /// and every link 23, bare domains included.
    /// </summary>
    public static readonly SocialMedium X = new("x", 280, XWeightedLength);

    private readonly Func<string, int> _measure;
    private readonly int? _maxUtf8Bytes;

    private SocialMedium(string name, int limit, Func<string, int> measure, int? maxUtf8Bytes = null)
    {
        Name = name;
        Limit = limit;
        _measure = measure;
        _maxUtf8Bytes = maxUtf8Bytes;
    }

    public string Name { get; }
    public int Limit { get; }

    /// <summary>The length of <paramref name="text"/> in this network's unit.</summary>
    public int Measure(string text) => _measure(text);

    public bool Fits(string text) =>
        Measure(text) <= Limit && (_maxUtf8Bytes is not { } bytes || Encoding.UTF8.GetByteCount(text) <= bytes);

    public SocialText Text(string text) => new(text, Measure(text), Limit);

    private static int MastodonLength(string text) => WithLinks(text, bareDomains: false, static s => s.EnumerateRunes().Count());

    private static int BlueskyLength(string text) => new StringInfo(text).LengthInTextElements;

    private static int XWeightedLength(string text) => WithLinks(text, bareDomains: true, Weighted);

    /// <summary>Counts the text between links with <paramref name="count"/>, and each link as the network would.</summary>
    private static int WithLinks(string text, bool bareDomains, Func<string, int> count)
    {
        var total = 0;
        var position = 0;
        foreach (var link in SocialLinks.Find(text, bareDomains))
        {
            total += count(text[position..link.Start]);
            total += SocialLinks.IsShortened(link) switch
            {
                true => SocialLinks.ShortLinkLength,
                false => count(link.Url),
                null => Math.Max(count(link.Url), SocialLinks.ShortLinkLength),
            };
            position = link.End;
        }
        return total + count(text[position..]);
    }

    private static int Weighted(string text)
    {
        var total = 0;
        var elements = StringInfo.GetTextElementEnumerator(text);
        while (elements.MoveNext())
        {
            var element = elements.GetTextElement();
            if (IsEmoji(element))
            {
                total += 2;
                continue;
            }
            foreach (var rune in element.EnumerateRunes())
            {
                total += rune.Value is <= 0x10FF or (>= 0x2000 and <= 0x200D) or (>= 0x2010 and <= 0x201F) or (>= 0x2032 and <= 0x2037) ? 1 : 2;
            }
        }
        return total;
    }

    // X counts an emoji as 2 however many code points (skin tone, joiners, variation selector) build it.
    private static bool IsEmoji(string element)
    {
        var first = Rune.GetRuneAt(element, 0).Value;
        return first >= 0x1F000 || first is >= 0x2600 and <= 0x27BF
            || element.Contains('\u200D', StringComparison.Ordinal) || element.Contains('\uFE0F', StringComparison.Ordinal)
            || element.Contains('\u20E3', StringComparison.Ordinal);
    }
}
