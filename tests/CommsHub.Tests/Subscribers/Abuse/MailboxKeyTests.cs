using CommsHub.Core.Subscribers;

namespace CommsHub.Tests.Subscribers.Abuse;

public sealed class MailboxKeyTests
{
    [Theory]
    [InlineData("victim+1@example.com", "victim@example.com")]
    [InlineData("Victim+news+x@Example.COM", "victim@example.com")]
    [InlineData("v.i.c.t.i.m@example.com", "v.i.c.t.i.m@example.com")] // dots matter at most providers
    [InlineData("Jane.Doe+promo@gmail.com", "janedoe@gmail.com")]
    [InlineData("jane.doe@googlemail.com", "janedoe@gmail.com")]
    [InlineData("+1@example.com", "+1@example.com")] // a local part that is only a tag is left alone
    public void The_throttle_key_is_the_mailbox_the_provider_delivers_to(string address, string mailbox) =>
        Assert.Equal(mailbox, AddressThrottle.Mailbox(address));

    [Fact]
    public void Webhook_requests_are_counted_per_host_and_numbers_per_E164()
    {
        Assert.Equal("webhook:hooks.example.com", AddressThrottle.KeyOf(null, null, "https://Hooks.Example.com/a?b", "US"));
        Assert.Equal(AddressThrottle.KeyOf(null, null, "https://hooks.example.com/x", "US"), AddressThrottle.KeyOf(null, null, "https://hooks.example.com:8443/y", "US"));
        Assert.Equal("sms:+12025550173", AddressThrottle.KeyOf(null, "(202) 555-0173", null, "US"));
    }
}
