using CommsHub.Core.Messaging;

namespace CommsHub.Tests.Domain;

public sealed class RabbitMqAddressTests
{
    [Fact]
    public void A_plain_uri_uses_the_default_virtual_host()
    {
        var a = RabbitMqAddress.Parse("amqp://guest:guest@localhost:5672/");
        Assert.Equal(("localhost", (ushort)5672, "/", "guest", "guest", false), (a.Host, a.Port, a.VirtualHost, a.Username, a.Password, a.UseSsl));
    }

    [Fact]
    public void The_path_names_the_virtual_host_and_escapes_are_decoded()
    {
        var a = RabbitMqAddress.Parse("amqps://hub%40ops:p%3Ass@mq.example:5671/comms%2Fprod");
        Assert.Equal(("mq.example", (ushort)5671, "comms/prod", "hub@ops", "p:ss", true), (a.Host, a.Port, a.VirtualHost, a.Username, a.Password, a.UseSsl));
    }

    [Theory]
    [InlineData("localhost:5672")]
    [InlineData("http://localhost:15672/")]
    public void Anything_but_an_amqp_uri_is_refused_with_an_example(string uri)
    {
        var error = Assert.Throws<InvalidOperationException>(() => RabbitMqAddress.Parse(uri));
        Assert.Contains("amqp://guest:guest@localhost:5672/", error.Message);
    }
}
