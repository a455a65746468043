using System.Globalization;
using System.Text;
using CommsHub.Core.Common;
using CommsHub.Core.Incidents;

namespace CommsHub.Core.Channels.Sms;

/// <summary>An SMS as it will be billed: its encoding, its length in that encoding's units, and its segments.</summary>
/// <param name="Cut">The text left out to fit the segment limit (null when the message went whole).</param>
public sealed record SmsText(string Body, string Encoding, int Length, int Segments, string? Cut = null)
{
    public bool Truncated => Cut is not null;
}

/// <summary>
/// Writes an update as one SMS of at most a few segments. GSM-7 holds 160 septets in one segment
/// (153 per part when split), UCS-2 only 70 (67): one emoji or curly quote turns the whole message
/// into UCS-2 and can double its cost, so the template uses GSM-7 punctuation only, typographic
/// punctuation the operator typed (or pasted from a word processor) is written the GSM-7 way, and the
/// operator's message is cut at a word boundary to fit — the incident link is always kept whole.
/// </summary>
public static class SmsRenderer
{
    // The GSM 03.38 default alphabet and its extension table (each extension character costs two septets).
    private const string Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    private const string Extension = "^{}\\[~]|€\f";

    public static SmsText Render(UpdateContent content, int maxSegments)
    {
        // Text GSM-7 can carry once its punctuation is plain goes as GSM-7. Text that needs UCS-2
        // anyway (a letter or an emoji GSM-7 lacks) keeps its typography: there it costs nothing more.
        var plain = Render(Transliterate(content.PageName), Transliterate(content.IncidentTitle), Transliterate(content.Message),
            content.IncidentUrl, content.Status, maxSegments);
        return plain.Encoding == "GSM-7" ? plain : Render(content.PageName, content.IncidentTitle, content.Message, content.IncidentUrl, content.Status, maxSegments);
    }

    private static SmsText Render(string pageName, string title, string text, string url, IncidentStatus status, int maxSegments)
    {
        var head = $"{pageName}: {title} - {Labels.Of(status)}. ";
        var tail = " " + url;
        var message = Collapse(text);

        var full = head + message + tail;
        var measured = Measure(full);
        if (measured.Segments <= maxSegments)
        {
            return measured;
        }
        // Too long: keep the head and the link, cut the message (and, if need be, the head) to fit.
        return Fit(message, m => head + m + tail, maxSegments, "")
            ?? Fit(head.TrimEnd(), h => h + tail, maxSegments, message)
            ?? Measure(url) with { Cut = (head + message).Trim() };
    }

    /// <summary>
    /// Typographic punctuation and spaces written with their GSM-7 look-alikes (“quotes” as "quotes",
    /// — as -, … as ..., • as *), and invisible characters that would only force UCS-2 dropped.
    /// Letters are never touched: an é GSM-7 has stays, a letter it lacks still makes the text UCS-2.
    /// </summary>
    public static string Transliterate(string text)
    {
        StringBuilder? builder = null;
        for (var i = 0; i < text.Length; i++)
        {
            var replacement = Plain(text[i]);
            if (replacement is null)
            {
                builder?.Append(text[i]);
                continue;
            }
            builder ??= new StringBuilder(text.Length + 8).Append(text, 0, i);
            builder.Append(replacement);
        }
        return builder?.ToString() ?? text;
    }

    private static string? Plain(char c) => c switch
    {
        '\u2010' or '\u2011' or '\u2012' or '\u2013' or '\u2014' or '\u2015' or '\u2212' or '\u2043' => "-", // hyphens, dashes, minus, hyphen bullet
        '\u2018' or '\u2019' or '\u201A' or '\u201B' or '\u2032' or '\u00B4' => "'", // single quotes, prime, acute accent
        '\u201C' or '\u201D' or '\u201E' or '\u201F' or '\u2033' or '\u00AB' or '\u00BB' => "\"", // double quotes, double prime, guillemets
        '\u2039' => "<",
        '\u203A' => ">",
        '\u2026' => "...",
        '\u2022' or '\u2023' or '\u25E6' or '\u2219' => "*", // bullets
        '\u00A0' or '\u202F' or (>= '\u2000' and <= '\u200A') or '\u205F' or '\u3000' => " ", // no-break and sized spaces
        '\t' => " ",
        '\u00AD' or '\u200B' or '\u2060' or '\uFEFF' => "", // soft hyphen, zero-width space, word joiner, BOM: invisible
        _ => null,
    };

    /// <summary>
    /// The longest word-boundary cut of <paramref name="text"/> whose composed SMS fits (binary search: fit
    /// is monotonic in length), with what it left out, followed by <paramref name="alsoCut"/>.
    /// </summary>
    private static SmsText? Fit(string text, Func<string, string> compose, int maxSegments, string alsoCut)
    {
        var cuts = WordBoundaries(text);
        SmsText? best = null;
        int low = 0, high = cuts.Count - 1;
        while (low <= high)
        {
            var mid = (low + high) / 2;
            var prefix = text[..cuts[mid]].TrimEnd(' ', ',', ';', ':', '-', '.');
            var candidate = Measure(compose(prefix.Length == 0 ? "" : prefix + "..."));
            if (candidate.Segments <= maxSegments)
            {
                best = candidate with { Cut = $"{text[cuts[mid]..].Trim()} {alsoCut}".Trim() };
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }
        return best;
    }

    /// <summary>Offsets where a word ends (never inside a grapheme), shortest first.</summary>
    private static List<int> WordBoundaries(string text)
    {
        var cuts = new List<int> { 0 };
        var elements = StringInfo.GetTextElementEnumerator(text);
        while (elements.MoveNext())
        {
            var index = elements.ElementIndex;
            if (index > 0 && char.IsWhiteSpace(text[index]) && !char.IsWhiteSpace(text[index - 1]))
            {
                cuts.Add(index);
            }
        }
        return cuts;
    }

    /// <summary>Encoding, length in that encoding's units, and segment count of a text.</summary>
    public static SmsText Measure(string text)
    {
        var septets = 0;
        foreach (var c in text)
        {
            if (Basic.Contains(c, StringComparison.Ordinal))
            {
                septets++;
            }
            else if (Extension.Contains(c, StringComparison.Ordinal))
            {
                septets += 2;
            }
            else
            {
                var units = text.Length; // UTF-16 code units, as UCS-2 (and Twilio) count them
                return new SmsText(text, "UCS-2", units, units <= 70 ? 1 : (int)Math.Ceiling(units / 67.0));
            }
        }
        return new SmsText(text, "GSM-7", septets, septets <= 160 ? 1 : (int)Math.Ceiling(septets / 153.0));
    }

    private static string Collapse(string text)
    {
        var builder = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text.Trim())
        {
            if (char.IsWhiteSpace(c))
            {
                space = true;
                continue;
            }
            if (space)
            {
                builder.Append(' ');
                space = false;
            }
            builder.Append(c);
        }
        return builder.ToString();
    }
}
