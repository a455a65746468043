using CommsHub.Core.Channels.Sms;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CommsHub.Tests.Sms;

/// <summary>Channels:Sms validated as the host does it: bound, then refused at start with messages a person can act on.</summary>
public sealed class SmsOptionsTests
{
    private const string Sid = "AC0123456789abcdef0123456789abcdef";
    private const string Token = "0123456789abcdef0123456789abcdef";

    [Fact]
    public void No_configuration_at_all_is_a_valid_sandbox()
    {
        using var provider = SmsServices.Build([]);

        provider.GetRequiredService<IStartupValidator>().Validate();
        var options = provider.GetRequiredService<IOptions<SmsOptions>>().Value;
        Assert.True(options.Sandboxed);
        Assert.Equal("US", options.DefaultRegion);
        Assert.Equal("https://api.twilio.com", options.Twilio.BaseUrl);
        Assert.IsType<SandboxSmsSender>(provider.GetRequiredService<ISmsSender>());
    }

    [Theory]
    [InlineData("+12025550100")]
    [InlineData("MG0123456789abcdef0123456789abcdef")]
    public void Credentials_and_a_sender_configure_Twilio(string from)
    {
        using var provider = SmsServices.Build(Credentials(("Channels:Sms:From", from)));

        provider.GetRequiredService<IStartupValidator>().Validate();
        Assert.False(provider.GetRequiredService<IOptions<SmsOptions>>().Value.Sandboxed);
        Assert.IsType<TwilioSmsSender>(provider.GetRequiredService<ISmsSender>());
    }

    [Theory]
    [InlineData("Channels:Sms:From", "",
        "Channels:Sms:From is required when Twilio credentials are set: an E.164 number such as +12025550100, or a Messaging Service SID starting with MG.")]
    [InlineData("Channels:Sms:From", "+1 (202) 555-0100",
        "Channels:Sms:From '+1 (202) 555-0100' must be written in E.164 form: +12025550100.")]
    [InlineData("Channels:Sms:From", "(202) 555-0100",
        "Channels:Sms:From '(202) 555-0100' must be written in E.164 form: +12025550100.")]
    [InlineData("Channels:Sms:From", "Acme",
        "Channels:Sms:From 'Acme' is neither an E.164 number nor a Messaging Service SID (MG…): 'Acme' is not a phone number.")]
    [InlineData("Channels:Sms:From", "MG123",
        "Channels:Sms:From 'MG123' looks like a Messaging Service SID but is not one: it is MG followed by 32 hexadecimal characters.")]
    [InlineData("Channels:Sms:DefaultRegion", "XX",
        "Channels:Sms:DefaultRegion 'XX' is not a region with phone numbering: use an ISO 3166 two-letter code such as US, GB or DE.")]
    [InlineData("Channels:Sms:Twilio:BaseUrl", "localhost:8080",
        "Channels:Sms:Twilio:BaseUrl 'localhost:8080' is not an absolute http(s) URL: leave it unset for https://api.twilio.com.")]
    [InlineData("Channels:Sms:Twilio:BaseUrl", "/twilio",
        "Channels:Sms:Twilio:BaseUrl '/twilio' is not an absolute http(s) URL: leave it unset for https://api.twilio.com.")]
    [InlineData("Channels:Sms:Twilio:AccountSid", "my-account",
        "Channels:Sms:Twilio:AccountSid 'my-account' is not an Account SID: copy the 34-character value starting with AC from the Twilio Console.")]
    [InlineData("Channels:Sms:Twilio:AuthToken", "",
        "Channels:Sms:Twilio:AuthToken is empty while Channels:Sms:Twilio:AccountSid is set: set both to send SMS through Twilio, or neither to keep SMS sandboxed.")]
    [InlineData("Channels:Sms:Twilio:AccountSid", "",
        "Channels:Sms:Twilio:AccountSid is empty while Channels:Sms:Twilio:AuthToken is set: set both to send SMS through Twilio, or neither to keep SMS sandboxed.")]
    [InlineData("Channels:Sms:Twilio:Timeout", "00:00:00",
        "Channels:Sms:Twilio:Timeout '00:00:00' must be positive, e.g. 00:00:30.")]
    public void A_bad_setting_stops_the_start_with_a_message_that_says_what_to_do(string key, string value, string message)
    {
        using var provider = SmsServices.Build(Credentials(("Channels:Sms:From", "+12025550100"), (key, value)));

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(message, Assert.Single(ex.Failures));
    }

    [Fact]
    public void A_sender_is_checked_even_while_sandboxed()
    {
        using var provider = SmsServices.Build(new() { ["Channels:Sms:From"] = "12345" });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Channels:Sms:From '12345' is neither an E.164 number", ex.Message);
    }

    [Fact]
    public void The_sender_number_is_read_in_the_default_region()
    {
        using var provider = SmsServices.Build(Credentials(("Channels:Sms:From", "020 7946 0958"), ("Channels:Sms:DefaultRegion", "GB")));

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Channels:Sms:From '020 7946 0958' must be written in E.164 form: +442079460958.", Assert.Single(ex.Failures));
    }

    private static Dictionary<string, string?> Credentials(params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["Channels:Sms:Twilio:AccountSid"] = Sid,
            ["Channels:Sms:Twilio:AuthToken"] = Token,
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }
        return all;
    }
}
