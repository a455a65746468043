using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CommsHub.Core.Common;
using CommsHub.Core.Incidents;

namespace CommsHub.Core.Channels.Social;

/// <summary>
/// Writes an update as one post: the status in words (the emoji only helps the eye), the title on an
/// incident's first post, the operator's message, and the incident link — always whole. Too long for
/// the medium, the message is cut at a word boundary (between ideographs in CJK text) with "…"; if
/// even no message is too long, the title is cut too.
/// </summary>
public static partial class SocialRenderer
{
    private const string Ellipsis = "…";

    public static SocialText Render(SocialMedium medium, UpdateContent content, bool isFollowUp)
    {
        var status = Labels.Of(content.Status);
        var lead = $"{Emoji(content.Status)} {(isFollowUp ? $"Update ({status})" : status)}";
        var title = Tidy(content.IncidentTitle, singleLine: true);
        var message = Tidy(content.Message, singleLine: false);
        var url = content.IncidentUrl.Trim();

        // A follow-up sits in the incident's thread: the title is already at its top.
        string Compose(string title, string message) => isFollowUp
            ? Join(message.Length > 0 ? $"{lead}: {message}" : lead, url)
            : Join(title.Length > 0 ? $"{lead} — {title}" : lead, message, url);

        var full = Compose(title, message);
        if (medium.Fits(full))
        {
            return medium.Text(full);
        }
        if (Cut(message, m => medium.Fits(Compose(title, m))) is { } shortMessage)
        {
            return medium.Text(Compose(title, shortMessage.Text)) with { Cut = message[shortMessage.At..].Trim() };
        }
        if (!isFollowUp && Cut(title, t => medium.Fits(Compose(t, ""))) is { } shortTitle)
        {
            return medium.Text(Compose(shortTitle.Text, "")) with { Cut = Join(title[shortTitle.At..].Trim(), message) };
        }
        // Only an enormous link gets here: the post goes over the limit rather than break it.
        var dropped = isFollowUp ? message : Join(title, message);
        return medium.Text(Compose("", "")) with { Cut = dropped.Length > 0 ? dropped : null };
    }

    /// <summary>
    /// The longest cut of <paramref name="text"/>, ellipsis added, that <paramref name="fits"/>: at a word
    /// boundary if one lies in its second half, otherwise (one giant word) between graphemes; never
    /// inside a link. With it, the offset where the left-out text starts. Null when not even one word
    /// fits. Binary search: a longer cut never measures less.
    /// </summary>
    internal static (string Text, int At)? Cut(string text, Func<string, bool> fits)
    {
        var links = SocialLinks.Find(text, bareDomains: true);
        var graphemes = StringInfo.ParseCombiningCharacters(text).Skip(1)
            .Where(i => !links.Any(l => i > l.Start && i < l.End)).ToList();
        var atWords = graphemes.Where(i => IsWordBoundary(text, i)).ToList();

        var byGrapheme = Longest(text, graphemes, links, fits);
        var byWord = Longest(text, atWords, links, fits);
        return byWord is { } word && (byGrapheme is not { } grapheme || word.Text.Length * 2 >= grapheme.Text.Length) ? byWord : byGrapheme;
    }

    private static (string Text, int At)? Longest(string text, List<int> cuts, List<SocialLink> links, Func<string, bool> fits)
    {
        (string, int)? best = null;
        int low = 0, high = cuts.Count - 1;
        while (low <= high)
        {
            var mid = (low + high) / 2;
            var candidate = Truncate(text, cuts[mid], links);
            if (candidate is not null && fits(candidate))
            {
                best = (candidate, cuts[mid]);
                low = mid + 1;
            }
            else if (candidate is null)
            {
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }
        return best;
    }

    private static string? Truncate(string text, int cut, List<SocialLink> links)
    {
        var prefix = text[..cut].TrimEnd();
        // Glued to a link, the ellipsis could be read as part of it; and the link's last character is the link's.
        if (links.Any(l => l.End == prefix.Length))
        {
            return prefix + " " + Ellipsis;
        }
        // "recovers.…" and "outage,…" read badly: the ellipsis replaces the punctuation.
        prefix = prefix.TrimEnd(',', ';', ':', '.', '-', '–', '—', '(', '[', '。', '，', '、', '：', '；').TrimEnd();
        return prefix.Length == 0 ? null : prefix + Ellipsis;
    }

    /// <summary>A cut before whitespace, or next to an ideograph, kana or CJK punctuation (CJK text has no spaces).</summary>
    private static bool IsWordBoundary(string text, int index) =>
        (char.IsWhiteSpace(text[index]) && !char.IsWhiteSpace(text[index - 1]))
        || (Rune.TryGetRuneAt(text, index, out var at) && IsCjk(at)) || (Rune.TryGetRuneAt(text, PreviousRuneStart(text, index), out var before) && IsCjk(before));

    private static int PreviousRuneStart(string text, int index) => index >= 2 && char.IsLowSurrogate(text[index - 1]) ? index - 2 : index - 1;

    private static bool IsCjk(Rune rune) => rune.Value is >= 0x3000 and <= 0x30FF // CJK punctuation, hiragana, katakana
        or >= 0x3400 and <= 0x4DBF or >= 0x4E00 and <= 0x9FFF or >= 0xF900 and <= 0xFAFF // ideographs
        or >= 0xFF00 and <= 0xFF60 // full-width forms
        or >= 0x20000 and <= 0x3FFFF;

    private static string Emoji(IncidentStatus status) => status switch
    {
        IncidentStatus.Investigating => "🔴",
        IncidentStatus.Identified => "🟠",
        IncidentStatus.Monitoring => "🟡",
        IncidentStatus.Resolved => "✅",
        IncidentStatus.Postmortem => "📝",
        IncidentStatus.Scheduled => "🗓️",
        IncidentStatus.InProgress or IncidentStatus.Verifying => "🔧",
        IncidentStatus.Completed => "✅",
        _ => "ℹ️",
    };

    private static string Join(params string[] blocks) => string.Join("\n\n", blocks.Where(b => b.Length > 0));

    // NFC first: X and Bluesky count the composed form, and what we measure must be what we send.
    private static string Tidy(string text, bool singleLine)
    {
        // A lone surrogate or a non-character (U+FFFE) would make Normalize throw: PublicText turns them, and controls, into U+FFFD.
        var normalized = PublicText.Clean(text).Normalize(NormalizationForm.FormC).Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        return singleLine
            ? Spaces().Replace(normalized, " ").Trim()
            : ExtraBlankLines().Replace(TrailingSpaces().Replace(normalized, "\n"), "\n\n").Trim();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"[ \t]+\n")]
    private static partial Regex TrailingSpaces();

    [GeneratedRegex(@"\n{3,}")]
    private static partial Regex ExtraBlankLines();
}
