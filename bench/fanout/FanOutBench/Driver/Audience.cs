using System.Globalization;

namespace FanOutBench.Driver;

/// <summary>
/// How many subscribers of each channel a scenario has, and the one address scheme that both the
/// importer and the fakes use: address i of a channel maps back to i, so the fakes count unique
/// recipients in a bit set (125 KB for a million) instead of a set of strings.
/// </summary>
public sealed record Audience(int Email, int Sms, int Webhook)
{
    public int Total => Email + Sms + Webhook;

    public IReadOnlyList<string> Channels =>
        new[] { ("email", Email), ("sms", Sms), ("webhook", Webhook) }.Where(c => c.Item2 > 0).Select(c => c.Item1).ToList();

    public int Count(string channel) => channel switch
    {
        "email" => Email,
        "sms" => Sms,
        "webhook" => Webhook,
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, "email, sms or webhook"),
    };
}

public static class Addresses
{
    private const string EmailDomain = "@fanout.example.com";

    // US numbers in the 555 exchange of ten area codes: libphonenumber (as CommsHub's
    // PhoneNumberNormalizer uses it) accepts all 10,000 of each as valid, unlike the UK's
    // 07700 900xxx drama range. They only ever reach the loopback fake.
    private static readonly string[] AreaCodes = ["202", "212", "213", "312", "415", "617", "718", "305", "404", "503"];
    public const int MaxPhones = 100_000;

    public static string Email(int i) => $"r{i}{EmailDomain}";

    public static string Phone(int i) =>
        i is < 0 or >= MaxPhones
            ? throw new ArgumentOutOfRangeException(nameof(i), i, $"at most {MaxPhones} phone numbers")
            : $"+1{AreaCodes[i / 10_000]}555{i % 10_000:D4}";

    /// <summary>Webhook subscriber i posts to <c>{fakes}/hooks/{i}</c>.</summary>
    public static string Webhook(string fakesUrl, int i) => $"{fakesUrl.TrimEnd('/')}/hooks/{i}";

    public static int ParseEmail(ReadOnlySpan<char> address)
    {
        if (address.Length > EmailDomain.Length + 1 && (address[0] == 'r' || address[0] == 'R')
            && address.EndsWith(EmailDomain, StringComparison.OrdinalIgnoreCase)
            && int.TryParse(address[1..^EmailDomain.Length], NumberStyles.None, CultureInfo.InvariantCulture, out var i))
        {
            return i;
        }
        return -1;
    }

    public static int ParsePhone(ReadOnlySpan<char> e164)
    {
        if (e164.Length != 12 || !e164.StartsWith("+1") || !e164[5..8].SequenceEqual("555"))
        {
            return -1;
        }
        var area = Array.IndexOf(AreaCodes, e164[2..5].ToString());
        return area >= 0 && int.TryParse(e164[8..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? area * 10_000 + n : -1;
    }

    public static int ParseWebhookPath(ReadOnlySpan<char> path) =>
        path.StartsWith("/hooks/") && int.TryParse(path["/hooks/".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : -1;
}
