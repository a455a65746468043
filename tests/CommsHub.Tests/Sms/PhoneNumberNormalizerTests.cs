using System.Text.RegularExpressions;
using CommsHub.Core.Channels.Sms;

namespace CommsHub.Tests.Sms;

public sealed class PhoneNumberNormalizerTests
{
    [Theory]
    [InlineData("+44 20 7946 0958", "US", "+442079460958")]
    [InlineData("(202) 555-0173", "US", "+12025550173")]
    [InlineData(" +1-202-555-0173 ", "us", "+12025550173")]
    [InlineData("202.555.0173", "US", "+12025550173")]
    [InlineData("011 44 20 7946 0958", "US", "+442079460958")]
    [InlineData("0044 20 7946 0958", "GB", "+442079460958")]
    [InlineData("020 7946 0958", "GB", "+442079460958")]
    [InlineData("06 12 34 56 78", "FR", "+33612345678")]
    [InlineData("+33 6 12 34 56 78", "DE", "+33612345678")]
    public void Numbers_with_or_without_a_country_code_come_out_as_E164(string input, string region, string expected)
    {
        Assert.True(PhoneNumberNormalizer.TryNormalize(input, region, out var e164, out var error), error);
        Assert.Equal(expected, e164);
        Assert.Matches(new Regex(@"^\+[1-9][0-9]{1,14}$"), e164);
        Assert.Null(error);
    }

    [Theory]
    [InlineData(null, "US", "A phone number is required.")]
    [InlineData("   ", "US", "A phone number is required.")]
    [InlineData("hello", "US", "'hello' is not a phone number.")]
    [InlineData("12345", "US", "'12345' has too few digits for a +1 number.")]
    [InlineData("202-555-01", "US", "'202-555-01' has too few digits for a +1 number.")]
    [InlineData("+1 202 555 01734444444", "US", "'+1 202 555 01734444444' has too many digits for a +1 number.")]
    [InlineData("+999 1234567", "US", "'+999 1234567' has no recognisable country code")]
    [InlineData("07700 900123", "GB", "'07700 900123' is not a number in use for +44: check the digits.")]
    [InlineData("+1 (555) 555-5555", "US", "is not a number in use for +1")]
    [InlineData("+12025550173 ext. 5", "US", "has an extension")]
    [InlineData("2025550173", "ZZ", "has no recognisable country code")]
    public void Invalid_numbers_are_refused_with_a_reason(string? input, string region, string expectedError)
    {
        Assert.False(PhoneNumberNormalizer.TryNormalize(input, region, out var e164, out var error));
        Assert.Equal("", e164);
        Assert.NotNull(error);
        Assert.Contains(expectedError, error);
    }

    [Fact]
    public void A_foreign_number_typed_without_its_country_code_gets_a_hint()
    {
        // 0044 is the UK's international prefix, not the US's (011): in the US it is just too many digits.
        Assert.False(PhoneNumberNormalizer.TryNormalize("0044 20 7946 0958", "US", out _, out var error));
        Assert.Equal("'0044 20 7946 0958' has too many digits for a +1 number. If it is not a US number, write it with + and its country code.", error);
    }

    [Theory]
    [InlineData("US", true)]
    [InlineData("gb", true)]
    [InlineData("XX", false)]
    [InlineData("USA", false)]
    [InlineData("", false)]
    public void Known_regions_are_those_libphonenumber_has_data_for(string region, bool known) =>
        Assert.Equal(known, PhoneNumberNormalizer.IsKnownRegion(region));
}
