using System.Buffers;
using System.Globalization;

namespace CommsHub.Core.Common;

/// <summary>
/// The one rule for text an operator writes (titles, messages, names, descriptions, templates):
/// no C0 control character other than tab, line feed and carriage return, and no DEL. Pasted
/// terminal output (ESC sequences) or a stray NUL is refused where it enters, because the feeds,
/// SMS and XML-based surfaces cannot carry it. Every entry point (the API, a console) asks here.
/// </summary>
public static class OperatorText
{
    private static readonly SearchValues<char> Forbidden = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000B\u000C\u000E\u000F" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F");

    private static readonly string[] C0Names =
    [
        "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI",
        "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US",
    ];

    /// <returns>The index (UTF-16) of the first forbidden character, or -1 when the text is acceptable.</returns>
    public static int FindForbidden(ReadOnlySpan<char> text) => text.IndexOfAny(Forbidden);

    public static bool IsForbidden(char c) => Forbidden.Contains(c);

    /// <returns>Why the text is refused, to follow the field's name ("contains the control character …"), or null when it is acceptable.</returns>
    public static string? Problem(string text)
    {
        var index = FindForbidden(text);
        return index < 0 ? null : Describe(text, index);
    }

    private static string Describe(string text, int index)
    {
        var c = text[index];
        var name = c == '\u007F' ? "DEL" : C0Names[c];
        // Counted in characters as a person sees them (a surrogate pair is one), from 1.
        var position = 1;
        foreach (var _ in text.AsSpan(0, index).EnumerateRunes())
        {
            position++;
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"contains the control character U+{(int)c:X4} ({name}) at character {position} (counting from 1); only tab, line feed and carriage return are allowed.");
    }
}
