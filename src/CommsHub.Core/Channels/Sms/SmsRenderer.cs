using System.Globalization;
using System.Text;
using CommsHub.Core.Common;

namespace CommsHub.Core.Channels.Sms;

/// <summary>An SMS as it will be billed: its encoding, its length in that encoding's units, and its segments.</summary>
public sealed record SmsText(string Body, string Encoding, int Length, int Segments);

/// <summary>
/// Writes an update as one SMS of at most a few segments. GSM-7 holds 160 septets in one segment
/// (153 per part when split), UCS-2 only 70 (67): one emoji or curly quote turns the whole message
/// into UCS-2 and can double its cost, so the template uses GSM-7 punctuation only, and the
/// operator's message is cut at a word boundary to fit — the incident link is always kept whole.
/// </summary>
public static class SmsRenderer
{
    // The GSM 03.38 default alphabet and its extension table (each extension character costs two septets).
    private const string Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    private const string Extension = "^{}\\[~]|€\f";

    public static SmsText Render(UpdateContent content, int maxSegments)
    {
        var head = $"{content.PageName}: {content.IncidentTitle} - {Labels.Of(content.Status)}. ";
        var tail = " " + content.IncidentUrl;
        var message = Collapse(content.Message);

        var full = head + message + tail;
        var measured = Measure(full);
        if (measured.Segments <= maxSegments)
        {
            return measured;
        }
        // Too long: keep the head and the link, cut the message (and, if need be, the head) to fit.
        return Fit(message, m => head + m + tail, maxSegments)
            ?? Fit(head.TrimEnd(), h => h + tail, maxSegments)
            ?? Measure(content.IncidentUrl);
    }

    /// <summary>The longest word-boundary cut of <paramref name="text"/> whose composed SMS fits (binary search: fit is monotonic in length).</summary>
    private static SmsText? Fit(string text, Func<string, string> compose, int maxSegments)
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
                best = candidate;
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
