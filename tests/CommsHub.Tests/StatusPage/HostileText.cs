using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;
using CommsHub.Core.Common;
using Calendar = Ical.Net.Calendar;

namespace CommsHub.Tests.StatusPage;

/// <summary>
/// Text of every code point class an operator can paste (or an old row can hold), and the checks that a
/// rendered resource is still well-formed. Each sample is one class; <see cref="Random"/> mixes them.
/// </summary>
internal static partial class HostileText
{
    public static readonly IReadOnlyList<(string Class, string Text)> Classes =
    [
        ("NUL", "before\0after"),
        ("every C0 control", new string([.. Enumerable.Range(0, 0x20).Select(c => (char)c)])),
        ("terminal colours (ESC)", "\u001b[31mERROR\u001b[0m: disk full\u001b[K"),
        ("DEL", "rub\u007fout"),
        ("every C1 control", new string([.. Enumerable.Range(0x80, 0x20).Select(c => (char)c)])),
        ("lone high surrogate", "high \uD83D alone"),
        ("lone low surrogate", "low \uDE00 alone"),
        ("reversed surrogates", "\uDE00\uD83D"),
        ("high surrogate at the end", "ends in \uD83D"),
        ("RTL and LTR marks", "\u200Fمرحبا\u200E hello \u061C"),
        ("bidi overrides and isolates", "\u202Etxet desrever\u202C \u202A\u202B\u202D \u2066\u2067\u2068\u2069 unterminated \u202E"),
        ("zero-width characters", "zero\u200Bwidth\u200Cnon\u200Djoiner\u2060word\uFEFFjoiner"),
        ("emoji", "🔥 outage 🚒 ✅"),
        ("emoji ZWJ sequences", "👩‍💻 👨‍👩‍👧‍👦 🏳️‍🌈 🇩🇪 👍🏽"),
        ("non-characters", "\uFFFE \uFFFF \uFDD0 \uFDEF \uD83F\uDFFE \uDBFF\uDFFF"),
        ("combining marks", "e\u0301 Z\u0336\u0337\u0338\u0335\u0334a\u0300\u0301\u0302\u0303\u0304\u0305\u0306l\u0489g\u20DDo"),
        ("line and paragraph separators", "one\u2028two\u2029three\u0085four"),
        ("very long word", new string('W', 10_000)),
        ("markup and template syntax", "<script>alert(1)</script> ]]> &amp; \"quoted\" 'single' {{ page_name }} {% raw %} ${x} `tick` \\ ; , :"),
        ("private use and specials", "\uE000 \uF8FF \uFFFC \uFFFD \U000F0000"),
    ];

    /// <summary>Deterministic mixes: a failure names its seed, and the same seed gives the same text.</summary>
    public static IEnumerable<(string Class, string Text)> Random(int count, int seed = 14)
    {
        var pool = string.Concat(Classes.Where(c => c.Class != "very long word").Select(c => c.Text)) + "abc XYZ 123 <&>\n\r\t";
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var text = new StringBuilder();
            var length = random.Next(1, 60);
            for (var j = 0; j < length; j++)
            {
                // Single UTF-16 units on purpose: a pair from the pool may be split, which is one more way to get a lone surrogate.
                text.Append(pool[random.Next(pool.Length)]);
            }
            yield return ($"random mix #{i} (seed {seed})", text.ToString());
        }
    }

    public static IEnumerable<(string Class, string Text)> All() => [.. Classes, ("every class at once", string.Concat(Classes.Select(c => c.Text))), .. Random(40)];

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>What is served is UTF-8: a lone surrogate cannot be encoded and would be replaced on the wire.</summary>
    public static byte[] Utf8(string text) => StrictUtf8.GetBytes(text);

    public static void Xml(string xml)
    {
        Utf8(xml);
        using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
        while (reader.Read())
        {
        }
    }

    /// <summary>Parses as JSON; with <paramref name="clean"/>, every string in it is also free of what <see cref="PublicText"/> replaces.</summary>
    public static void Json(string json, bool clean)
    {
        using var document = JsonDocument.Parse(Utf8(json));
        Walk(document.RootElement);

        void Walk(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        Walk(property.Value);
                    }
                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        Walk(item);
                    }
                    break;
                case JsonValueKind.String:
                    var value = element.GetString()!; // throws for an escaped lone surrogate
                    if (clean)
                    {
                        Assert.Equal(PublicText.Clean(value), value);
                    }
                    break;
            }
        }
    }

    /// <summary>
    /// No raw control character but tab, LF and CR (HTML parsers report them as errors), and no character
    /// reference to a control, a surrogate or a non-character either (the same errors, spelt differently).
    /// </summary>
    public static void Html(string html)
    {
        Utf8(html);
        var raw = html.FirstOrDefault(c => char.IsControl(c) && c is not ('\t' or '\n' or '\r'));
        Assert.True(raw == default, $"raw U+{(int)raw:X4} at {html.IndexOf(raw, StringComparison.Ordinal)}");
        foreach (Match reference in CharacterReference().Matches(html))
        {
            var code = reference.Groups["hex"].Success
                ? int.Parse(reference.Groups["hex"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)
                : int.Parse(reference.Groups["dec"].Value, CultureInfo.InvariantCulture);
            var bad = code is (< 0x20 and not (0x09 or 0x0A or 0x0D)) or (>= 0x7F and <= 0x9F) or (>= 0xD800 and <= 0xDFFF)
                or (>= 0xFDD0 and <= 0xFDEF) || (code & 0xFFFE) == 0xFFFE || code > 0x10FFFF;
            Assert.False(bad, $"{reference.Value} refers to U+{code:X4}");
        }
    }

    /// <summary>An RFC 5545 parser reads it; lines are CRLF-terminated, at most 75 octets, with no control but tab.</summary>
    public static void Ics(string ics)
    {
        var bytes = Utf8(ics);
        Assert.NotNull(Calendar.Load(ics));
        Assert.EndsWith("\r\n", ics, StringComparison.Ordinal);
        foreach (var line in ics[..^2].Split("\r\n"))
        {
            Assert.True(Encoding.UTF8.GetByteCount(line) <= 75, $"a line of {Encoding.UTF8.GetByteCount(line)} octets");
            Assert.DoesNotContain(line, c => char.IsControl(c) && c != '\t');
        }
        Assert.True(bytes.Length > 0);
    }

    [GeneratedRegex("&#(?:[xX](?<hex>[0-9A-Fa-f]+)|(?<dec>[0-9]+));")]
    private static partial Regex CharacterReference();
}
