using System.Text;

namespace CommsHub.Core.Common;

/// <summary>
/// Operator-written text made safe for every public format. XML 1.0 cannot carry most C0 controls,
/// lone surrogates or U+FFFE/U+FFFF at all (the writer throws), HTML parsers report controls and
/// non-characters as errors, and a terminal's ESC sequences mean nothing on a page: each such
/// character becomes U+FFFD, so the text still shows that something was there. Tab, line feed and
/// carriage return stay. Rows written before input was checked can hold anything, so every public
/// writer passes its text through here rather than trusting the database.
/// </summary>
public static class PublicText
{
    public const char Replacement = '\uFFFD';

    public static string Clean(string text)
    {
        var first = FirstUnsafe(text);
        if (first < 0)
        {
            return text;
        }
        var clean = new StringBuilder(text.Length).Append(text, 0, first);
        var rest = text.AsSpan(first);
        while (!rest.IsEmpty)
        {
            Rune.DecodeFromUtf16(rest, out var rune, out var consumed);
            // A lone surrogate decodes as U+FFFD while the text still holds the surrogate: IsSafe tells it from a real U+FFFD.
            if (IsSafe(rest[0], rune))
            {
                clean.Append(rest[..consumed]);
            }
            else
            {
                clean.Append(Replacement);
            }
            rest = rest[consumed..];
        }
        return clean.ToString();
    }

    /// <summary>Null stays null: optional fields (a component's description) pass straight through.</summary>
    public static string? CleanOrNull(string? text) => text is null ? null : Clean(text);

    private static int FirstUnsafe(string text)
    {
        var span = text.AsSpan();
        for (var i = 0; i < span.Length;)
        {
            Rune.DecodeFromUtf16(span[i..], out var rune, out var consumed);
            if (!IsSafe(span[i], rune))
            {
                return i;
            }
            i += consumed;
        }
        return -1;
    }

    private static bool IsSafe(char first, Rune rune)
    {
        if (rune == Rune.ReplacementChar && first != Replacement)
        {
            return false; // an unpaired surrogate
        }
        if (Rune.IsControl(rune)) // C0, DEL and C1
        {
            return rune.Value is '\t' or '\n' or '\r';
        }
        var v = rune.Value;
        // The 66 non-characters: U+FDD0..U+FDEF and the last two code points of every plane.
        return v is not (>= 0xFDD0 and <= 0xFDEF) && (v & 0xFFFE) != 0xFFFE;
    }
}
