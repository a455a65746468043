namespace CommsHub.Core.Channels.Sms;

public enum SmsKeyword { None, Yes, Stop, Start, Help }

/// <summary>
/// Reads a subscriber's reply the way Twilio's own keyword filtering does, so our subscription state
/// never disagrees with Twilio's block list: only a message that is a single keyword counts
/// ("STOP" does, "please stop texting me" does not), in any case, with surrounding whitespace and
/// trailing punctuation ("Stop!", "yes.") ignored.
/// </summary>
public static class SmsKeywords
{
    private static readonly Dictionary<string, SmsKeyword> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        // Twilio counts YES as an opt-in too, so confirming also lifts any earlier STOP block on Twilio's side.
        // A bare "Y" is deliberately not a keyword: Twilio would not lift a block for it, and a
        // subscription we call confirmed while Twilio still refuses to deliver helps nobody.
        ["YES"] = SmsKeyword.Yes,
        ["STOP"] = SmsKeyword.Stop,
        ["STOPALL"] = SmsKeyword.Stop,
        ["UNSUBSCRIBE"] = SmsKeyword.Stop,
        ["CANCEL"] = SmsKeyword.Stop,
        ["END"] = SmsKeyword.Stop,
        ["QUIT"] = SmsKeyword.Stop,
        ["REVOKE"] = SmsKeyword.Stop,
        ["OPTOUT"] = SmsKeyword.Stop,
        ["START"] = SmsKeyword.Start,
        ["UNSTOP"] = SmsKeyword.Start,
        ["HELP"] = SmsKeyword.Help,
        // Carriers and Twilio answer INFO with the help text.
        ["INFO"] = SmsKeyword.Help,
    };

    public static SmsKeyword Parse(string? body)
    {
        var text = body.AsSpan().Trim();
        var end = text.Length;
        while (end > 0 && (char.IsPunctuation(text[end - 1]) || char.IsWhiteSpace(text[end - 1])))
        {
            end--;
        }
        text = text[..end];
        if (text.IsEmpty)
        {
            return SmsKeyword.None;
        }
        var lookup = Keywords.GetAlternateLookup<ReadOnlySpan<char>>();
        return lookup.TryGetValue(text, out var keyword) ? keyword : SmsKeyword.None;
    }
}
