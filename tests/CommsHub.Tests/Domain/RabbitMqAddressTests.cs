using CommsHub.Core.Messaging;
using Microsoft.Extensions.Configuration;

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

    [Fact]
    public void A_cluster_lists_its_nodes_in_the_authority_and_shares_the_rest()
    {
        var a = RabbitMqAddress.Parse("amqp://hub:secret@mq-0:5672,mq-1:5673,mq-2/comms");
        Assert.Equal(("mq-0", (ushort)5672, "comms", "hub", "secret"), (a.Host, a.Port, a.VirtualHost, a.Username, a.Password));
        Assert.Equal(["mq-0:5672", "mq-1:5673", "mq-2:5672"], a.Nodes);
    }

    [Fact]
    public void A_single_node_is_its_only_node()
    {
        Assert.Equal(["localhost:5672"], RabbitMqAddress.Parse("amqp://guest:guest@localhost/").Nodes);
    }

    [Fact]
    public void A_cluster_node_that_is_not_host_and_port_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => RabbitMqAddress.Parse("amqp://guest:guest@mq-0:5672,mq-1:x/"));
        Assert.Contains("mq-1:x", error.Message);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("classic", false)]
    [InlineData("Quorum", true)]
    public void The_queue_type_is_classic_or_quorum(string? value, bool quorum)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["RabbitMq:QueueType"] = value }).Build();
        Assert.Equal(quorum, RabbitMqOptions.From(configuration).Quorum);
    }

    [Fact]
    public void Any_other_queue_type_stops_the_host_with_the_choices()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["RabbitMq:QueueType"] = "stream" }).Build();
        var error = Assert.Throws<InvalidOperationException>(() => RabbitMqOptions.From(configuration));
        Assert.Contains("'classic' or 'quorum'", error.Message);
    }
}
