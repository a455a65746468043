using System.Collections.Concurrent;
using System.Text;
using MassTransit;
using RabbitMQ.Client;

namespace CommsHub.FaultTests;

/// <summary>
/// The broker as a foreign publisher sees it: raw AMQP publishes onto MassTransit's exchanges, and
/// exact queue depths (a passive declare answers at once; the management API lags by its stats interval).
/// </summary>
public sealed class PoisonBroker(string uri) : IAsyncDisposable
{
    private IConnection? _connection;
    private IChannel? _channel;

    private async Task<IChannel> ChannelAsync()
    {
        _connection ??= await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        return _channel ??= await _connection.CreateChannelAsync();
    }

    /// <summary>Publishes bytes as MassTransit's JSON envelope content type onto the message type's exchange.</summary>
    public async Task PublishRawAsync(string exchange, string body, Guid messageId)
    {
        var channel = await ChannelAsync();
        var properties = new BasicProperties
        {
            ContentType = "application/vnd.masstransit+json", MessageId = messageId.ToString(), DeliveryMode = DeliveryModes.Persistent,
        };
        await channel.BasicPublishAsync(exchange, "", false, properties, Encoding.UTF8.GetBytes(body));
    }

    /// <summary>Ready messages in the queue; -1 while it does not exist.</summary>
    public async Task<long> DepthAsync(string queue)
    {
        // A passive declare of a missing queue closes the channel: use one of its own.
        _connection ??= await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using var channel = await _connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return -1;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync();
        }
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }
}

/// <summary>Counts every transport delivery per queue whose body carries a marker: a redelivery loop shows as a count above one.</summary>
public sealed class ReceiveCounter(params string[] markers) : IReceiveObserver
{
    private readonly ConcurrentDictionary<(string Queue, string Marker), int> _counts = new();

    public int Of(string queue, string marker) => _counts.GetValueOrDefault((queue, marker));

    public Task PreReceive(ReceiveContext context)
    {
        var body = Encoding.UTF8.GetString(context.Body.GetBytes());
        var queue = context.InputAddress.AbsolutePath.Split('/').Last();
        foreach (var marker in markers.Where(body.Contains))
        {
            _counts.AddOrUpdate((queue, marker), 1, (_, n) => n + 1);
        }
        return Task.CompletedTask;
    }

    public Task PostReceive(ReceiveContext context) => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class => Task.CompletedTask;

    public Task ReceiveFault(ReceiveContext context, Exception exception) => Task.CompletedTask;
}
