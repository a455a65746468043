using System.Globalization;

namespace FanOutBench.Driver;

/// <summary>
/// The bench's compensation codes and customers: code i is <c>FW-</c> and i in seven digits, customer i has the
/// external id <c>c</c>i and the email address of <see cref="Addresses.Email"/>, so the fake maps what it receives
/// back to indexes and counts codes in a bit set as it does recipients.
/// </summary>
public static class Codes
{
    private const string Prefix = "FW-";
    private const int Digits = 7;

    public static string Code(int i) => Prefix + i.ToString("D7", CultureInfo.InvariantCulture);

    public static string ExternalId(int i) => "c" + i.ToString(CultureInfo.InvariantCulture);

    /// <summary>The first code of the scheme in <paramref name="text"/>: its index (-1 if malformed), or null when there is none.</summary>
    public static int? Find(string text, out string code)
    {
        var at = text.IndexOf(Prefix, StringComparison.Ordinal);
        code = "";
        if (at < 0)
        {
            return null;
        }
        var end = Math.Min(text.Length, at + Prefix.Length + Digits);
        code = text[at..end];
        return Parse(code);
    }

    public static int Parse(ReadOnlySpan<char> code) =>
        code.Length == Prefix.Length + Digits && code.StartsWith(Prefix, StringComparison.Ordinal)
        && int.TryParse(code[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : -1;

    public static int ParseExternalId(ReadOnlySpan<char> id) =>
        id.Length > 1 && id[0] == 'c' && int.TryParse(id[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : -1;
}
