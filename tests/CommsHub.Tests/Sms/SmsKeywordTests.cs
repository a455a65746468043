using CommsHub.Core.Channels.Sms;

namespace CommsHub.Tests.Sms;

public sealed class SmsKeywordTests
{
    [Theory]
    [InlineData("YES", SmsKeyword.Yes)]
    [InlineData("STOP", SmsKeyword.Stop)]
    [InlineData("STOPALL", SmsKeyword.Stop)]
    [InlineData("UNSUBSCRIBE", SmsKeyword.Stop)]
    [InlineData("CANCEL", SmsKeyword.Stop)]
    [InlineData("END", SmsKeyword.Stop)]
    [InlineData("QUIT", SmsKeyword.Stop)]
    [InlineData("REVOKE", SmsKeyword.Stop)]
    [InlineData("OPTOUT", SmsKeyword.Stop)]
    [InlineData("START", SmsKeyword.Start)]
    [InlineData("UNSTOP", SmsKeyword.Start)]
    [InlineData("HELP", SmsKeyword.Help)]
    [InlineData("INFO", SmsKeyword.Help)]
    public void Every_keyword_is_recognised_in_any_case_with_whitespace_and_trailing_punctuation(string keyword, SmsKeyword expected)
    {
        var lower = keyword.ToLowerInvariant();
        var title = keyword[..1] + lower[1..];
        string[] variants = [keyword, lower, title, $"  {title}  ", $"{lower}.", $"{keyword}!", $"{title}!!!", $"\t{lower} ?\n", $"{keyword}…", $"{title},"];
        Assert.All(variants, body => Assert.Equal(expected, SmsKeywords.Parse(body)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("!!!")]
    [InlineData("please stop texting me")]
    [InlineData("STOP PLEASE")]
    [InlineData("stop all")]
    [InlineData("yes please")]
    [InlineData("Y")]
    [InlineData("yeah")]
    [InlineData("STOPP")]
    [InlineData("¿stop")]
    [InlineData("\"stop\"")]
    [InlineData("st op")]
    [InlineData("help me")]
    [InlineData("Is the outage over?")]
    public void Anything_but_a_single_keyword_is_none(string? body) => Assert.Equal(SmsKeyword.None, SmsKeywords.Parse(body));
}
