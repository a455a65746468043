using CommsHub.Core.Channels.Email;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Common;

namespace CommsHub.Api.OperatorConsole.Pages.Records;

/// <summary>
/// Turns what an operator typed into the address as CommsHub stores it (lower-cased email, E.164
/// number, URL as given) and the channel it belongs to, so a search is a range on the
/// (channel, address) index rather than a scan of every subscriber.
/// </summary>
internal static class SubscriberSearch
{
    /// <param name="channel">The channel filter, when the operator chose one; otherwise the channel is read from the text.</param>
    public static (Channel Channel, string Address) Parse(string text, bool exact, Channel? channel, string smsRegion)
    {
        var typed = text.Trim();
        var inferred = channel ?? Infer(typed);
        return inferred switch
        {
            Channel.Email => (inferred, exact && EmailAddresses.TryNormalize(typed, out var email) ? email : typed.ToLowerInvariant()),
            Channel.Sms => (inferred, Phone(typed, exact, smsRegion)),
            _ => (inferred, typed),
        };
    }

    private static Channel Infer(string typed) =>
        typed.StartsWith("http", StringComparison.OrdinalIgnoreCase) ? Channel.Webhook
        : typed.Length > 0 && (typed[0] == '+' || typed[0] == '(' || char.IsAsciiDigit(typed[0])) ? Channel.Sms
        : Channel.Email;

    private static string Phone(string typed, bool exact, string region)
    {
        if (exact && PhoneNumberNormalizer.TryNormalize(typed, region, out var e164, out _))
        {
            return e164;
        }
        // A prefix of an E.164 number: its digits after the plus, whatever spacing was typed.
        return "+" + new string(typed.Where(char.IsAsciiDigit).ToArray());
    }
}
