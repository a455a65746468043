using CommsHub.Core.Channels.Email;

namespace CommsHub.Tests.Domain;

public sealed class EmailAddressTests
{
    [Theory]
    [InlineData("Ann@Example.COM", "ann@example.com")]
    [InlineData("  bob.smith+alerts@mail.example.org ", "bob.smith+alerts@mail.example.org")]
    public void Addresses_are_trimmed_and_lower_cased(string input, string expected)
    {
        Assert.True(EmailAddresses.TryNormalize(input, out var normalized));
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-an-address")]
    [InlineData("Ann <ann@example.com>")]
    [InlineData("ann@localhost")]
    [InlineData("a b@example.com")]
    [InlineData("ann@example.com, bob@example.com")]
    [InlineData(null)]
    public void Anything_but_one_plain_address_is_refused(string? input) => Assert.False(EmailAddresses.TryNormalize(input, out _));

    [Fact]
    public void A_sender_may_carry_a_display_name()
    {
        Assert.True(EmailAddresses.TryParseSender("Acme Status <status@acme.example>", out var address, out var name));
        Assert.Equal("status@acme.example", address);
        Assert.Equal("Acme Status", name);
    }
}
