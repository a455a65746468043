using CommsHub.Core.Channels.Sms;
using CommsHub.Testing;
using Microsoft.Extensions.Options;

namespace CommsHub.Tests.Sms;

/// <summary>Signatures computed as Twilio documents them (<see cref="TwilioSignature"/>), checked by the SDK's validator.</summary>
public sealed class TwilioRequestValidationTests
{
    private const string Url = "https://status.example.com/webhooks/twilio/sms";

    private static readonly Dictionary<string, string> Inbound = new()
    {
        ["AccountSid"] = TwilioFake.AccountSid,
        ["MessageSid"] = "SM0123456789abcdef0123456789abcdef",
        ["From"] = "+12025550173",
        ["To"] = "+12025550100",
        ["Body"] = "STOP",
        ["NumMedia"] = "0",
        ["FromCountry"] = "US",
    };

    private readonly TwilioRequestValidation _validation = Validation(TwilioFake.AuthToken);

    [Fact]
    public void A_request_signed_with_the_auth_token_is_accepted()
    {
        var signature = TwilioSignature.Compute(TwilioFake.AuthToken, Url, Inbound);

        Assert.True(_validation.IsValid(Url, Inbound, signature));
    }

    [Fact]
    public void The_query_string_is_part_of_the_signed_url()
    {
        const string withQuery = Url + "?delivery=42&attempt=1";
        var signature = TwilioSignature.Compute(TwilioFake.AuthToken, withQuery, Inbound);

        Assert.True(_validation.IsValid(withQuery, Inbound, signature));
        Assert.False(_validation.IsValid(Url, Inbound, signature));
    }

    [Fact]
    public void A_request_without_parameters_signs_the_url_alone()
    {
        var signature = TwilioSignature.Compute(TwilioFake.AuthToken, Url, []);

        Assert.True(_validation.IsValid(Url, new Dictionary<string, string>(), signature));
    }

    [Theory]
    [InlineData("Body", "START")]
    [InlineData("From", "+12025550199")]
    [InlineData("Extra", "added")]
    public void A_tampered_parameter_is_refused(string name, string value)
    {
        var signature = TwilioSignature.Compute(TwilioFake.AuthToken, Url, Inbound);
        var tampered = new Dictionary<string, string>(Inbound) { [name] = value };

        Assert.False(_validation.IsValid(Url, tampered, signature));
    }

    [Fact]
    public void A_signature_for_another_url_is_refused()
    {
        var signature = TwilioSignature.Compute(TwilioFake.AuthToken, Url, Inbound);

        Assert.False(_validation.IsValid("https://status.example.com/webhooks/twilio/status", Inbound, signature));
        Assert.False(_validation.IsValid("http://status.example.com/webhooks/twilio/sms", Inbound, signature));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-signature")]
    public void A_missing_or_garbled_header_is_refused(string? header) => Assert.False(_validation.IsValid(Url, Inbound, header));

    [Fact]
    public void A_signature_made_with_another_token_is_refused()
    {
        var signature = TwilioSignature.Compute("ffffffffffffffffffffffffffffffff", Url, Inbound);

        Assert.False(_validation.IsValid(Url, Inbound, signature));
    }

    [Fact]
    public void Without_an_auth_token_nothing_is_accepted()
    {
        // Even a signature keyed with the empty token: an unconfigured account must not be forgeable.
        var signature = TwilioSignature.Compute("", Url, Inbound);

        Assert.False(Validation("").IsValid(Url, Inbound, signature));
    }

    [Fact]
    public void A_relative_url_is_refused_rather_than_thrown_on()
    {
        var signature = TwilioSignature.Compute(TwilioFake.AuthToken, "/webhooks/twilio/sms", Inbound);

        Assert.False(_validation.IsValid("/webhooks/twilio/sms", Inbound, signature));
    }

    private static TwilioRequestValidation Validation(string authToken) =>
        new(Options.Create(new SmsOptions { Twilio = new TwilioOptions { AccountSid = TwilioFake.AccountSid, AuthToken = authToken } }));
}
