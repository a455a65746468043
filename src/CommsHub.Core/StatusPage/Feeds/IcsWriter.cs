using System.Globalization;
using System.Text;
using CommsHub.Core.Common;

namespace CommsHub.Core.StatusPage.Feeds;

/// <summary>
/// Writes iCalendar content lines as RFC 5545 §3.1 requires: CRLF after every line, lines longer than
/// 75 octets folded (CRLF then one space), never inside a UTF-8 sequence, and TEXT values escaped.
/// </summary>
internal sealed class IcsWriter
{
    private const int MaxOctets = 75;

    private readonly StringBuilder _text = new();

    /// <summary>A property whose value is written as given (URIs, enumerated values, integers).</summary>
    public IcsWriter Raw(string name, string value)
    {
        Line(name + ":" + value);
        return this;
    }

    /// <summary>A TEXT property (§3.3.11): backslash, semicolon, comma and line breaks escaped, unsafe characters replaced.</summary>
    public IcsWriter Text(string name, string value) => Raw(name, Escape(value));

    /// <summary>A DATE-TIME in UTC form (§3.3.5, "FORM #2"), which needs no VTIMEZONE.</summary>
    public IcsWriter Time(string name, DateTimeOffset value) =>
        Raw(name, value.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture));

    public override string ToString() => _text.ToString();

    internal static string Escape(string value)
    {
        var escaped = new StringBuilder(value.Length);
        // TEXT admits no control character but the tab (§3.3.11): PublicText replaces the others (and lone
        // surrogates, which UTF-8 cannot carry) with U+FFFD, as every other public resource shows them.
        foreach (var c in PublicText.Clean(value).ReplaceLineEndings("\n"))
        {
            switch (c)
            {
                case '\\' or ';' or ',':
                    escaped.Append('\\').Append(c);
                    break;
                case '\n':
                    escaped.Append("\\n");
                    break;
                default:
                    escaped.Append(c);
                    break;
            }
        }
        return escaped.ToString();
    }

    private void Line(string line)
    {
        var octets = 0;
        foreach (var rune in line.EnumerateRunes())
        {
            if (octets + rune.Utf8SequenceLength > MaxOctets)
            {
                _text.Append("\r\n ");
                octets = 1;
            }
            _text.Append(rune.ToString());
            octets += rune.Utf8SequenceLength;
        }
        _text.Append("\r\n");
    }
}
