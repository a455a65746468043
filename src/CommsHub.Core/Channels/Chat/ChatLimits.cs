namespace CommsHub.Core.Channels.Chat;

/// <summary>
/// Every length limit the three chat media impose, and the one way text is cut to fit them. A
/// provider refuses the whole message when one field is a character too long, so every field we
/// fill from operator input goes through <see cref="Fit"/> or <see cref="JoinWithin"/>.
/// </summary>
public static class ChatLimits
{
    public const string Ellipsis = "…";

    /// <summary>Ours: where the page name is only a label (context, footer), it must not take the message's room.</summary>
    public const int PageName = 200;

    // Slack Block Kit (https://docs.slack.dev/reference/block-kit/blocks).
    public const int SlackHeader = 150;
    public const int SlackSectionText = 3000;
    public const int SlackField = 2000;
    public const int SlackContextText = 3000;

    /// <summary>Ours, not Slack's: the notification text only ever shows its first line or two.</summary>
    public const int SlackFallbackText = 500;

    // Discord embeds (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
    public const int DiscordTitle = 256;
    public const int DiscordDescription = 4096;
    public const int DiscordFields = 25;
    public const int DiscordFieldName = 256;
    public const int DiscordFieldValue = 1024;
    public const int DiscordFooter = 2048;
    public const int DiscordEmbedTotal = 6000;

    // Teams has no per-field limits, only about 28 KB for the whole message. These keep a card well under
    // that even when every character needs escaping and three UTF-8 bytes.
    public const int TeamsTitle = 256;
    public const int TeamsFactValue = 1024;
    public const int TeamsMessage = 6000;

    /// <summary>
    /// <paramref name="text"/> escaped for its medium and at most <paramref name="limit"/> characters long:
    /// when it is too long, the longest prefix that fits is cut at a word boundary (or mid-word when the
    /// last boundary is in the first half) and ends with "…". Escaping comes first because the limits
    /// count what the provider receives, and the cut never splits an escape sequence or a surrogate pair.
    /// What was left out (unescaped) is added to <paramref name="cuts"/>, when given.
    /// </summary>
    public static string Fit(string text, int limit, Func<string, string>? escape = null, ICollection<string>? cuts = null)
    {
        escape ??= static s => s;
        var whole = escape(text);
        if (whole.Length <= limit)
        {
            return whole;
        }

        // Escaping only ever lengthens a prefix as it grows, so the longest prefix that fits can be found by bisection.
        var budget = limit - Ellipsis.Length;
        int low = 0, high = text.Length;
        while (low < high)
        {
            var mid = (low + high + 1) / 2;
            if (escape(text[..mid]).Length <= budget)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }
        var cut = low;
        if (cut > 0 && char.IsHighSurrogate(text[cut - 1]))
        {
            cut--;
        }
        if (cut < text.Length && !char.IsWhiteSpace(text[cut]))
        {
            var boundary = LastWhiteSpace(text, cut);
            if (boundary >= cut / 2)
            {
                cut = boundary;
            }
        }
        var fitted = escape(text[..cut].TrimEnd()) + Ellipsis;
        // The word-boundary prefix is shorter, so it fits whenever escaping is per character; if an escaper
        // ever breaks that, the prefix bisection measured is still safe.
        if (fitted.Length > limit)
        {
            (fitted, cut) = (escape(text[..low]) + Ellipsis, low);
        }
        cuts?.Add(text[cut..].Trim());
        return fitted;
    }

    /// <summary>
    /// As many of <paramref name="items"/> as fit in <paramref name="limit"/>, each escaped, joined by
    /// <paramref name="separator"/> and ending with "and N more" when some are left out: a list of names
    /// is more use cut between items than in the middle of one. What was left out goes to <paramref name="cuts"/>:
    /// the end of each item cut short, and the items left out, joined by <paramref name="separator"/>.
    /// </summary>
    public static string JoinWithin(IReadOnlyList<string> items, string separator, int limit, Func<string, string>? escape = null,
        ICollection<string>? cuts = null)
    {
        // Each item leaves room for a separator and "and 99999 more", so at least one is always shown.
        var itemCuts = items.Select(_ => new List<string>(1)).ToList();
        var fitted = items.Select((item, i) => Fit(item, limit - separator.Length - 16, escape, itemCuts[i])).ToList();
        for (var count = fitted.Count; count > 0; count--)
        {
            var rest = fitted.Count - count;
            var shown = fitted.Take(count);
            var text = string.Join(separator, rest > 0 ? shown.Append($"and {rest} more") : shown);
            if (text.Length <= limit)
            {
                foreach (var cut in itemCuts.Take(count).SelectMany(c => c))
                {
                    cuts?.Add(cut);
                }
                if (rest > 0)
                {
                    cuts?.Add(string.Join(separator, items.Skip(count)));
                }
                return text;
            }
        }
        return "";
    }

    private static int LastWhiteSpace(string text, int before)
    {
        for (var i = before - 1; i >= 0; i--)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                return i;
            }
        }
        return -1;
    }
}
