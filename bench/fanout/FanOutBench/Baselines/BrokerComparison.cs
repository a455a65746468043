using System.Diagnostics;
using System.Text;
using FanOutBench.Measure;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace FanOutBench.Baselines;

public sealed record BenchPing
{
    public int N { get; init; }
    public Guid UpdateId { get; init; }
}

/// <param name="Window">Publishes awaited one at a time (1, as the planner and the outbox do) or this many in flight.</param>
public sealed record BrokerSample(string Client, int Window, int Run, int Messages, double PublishSeconds, double ConsumeSeconds,
    double ClientCpuSeconds, double BrokerCpuSeconds);

/// <summary>
/// MassTransit 8 against the raw RabbitMQ.Client it is built on, on the same broker and settings:
/// publisher confirms on, durable exchange and queue, persistent messages, the same prefetch and
/// consumer concurrency, a manual ack after the consumer ran. Publish-all is until the last confirm;
/// consume-all until the consumer has seen the last message (both from the first publish).
/// </summary>
public sealed class BrokerComparison(string host, int port, string vhost, string user, string password, int prefetch = 16)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);

    public async Task<BrokerSample> MassTransitAsync(int messages, int window, int run)
    {
        var counter = new Counter(messages);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(counter);
        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            x.AddConsumer<PingConsumer>();
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(host, (ushort)port, vhost, h =>
                {
                    h.Username(user);
                    h.Password(password);
                    h.PublisherConfirmation = true;
                });
                cfg.ReceiveEndpoint("bench-masstransit", e =>
                {
                    e.PrefetchCount = prefetch;
                    e.ConcurrentMessageLimit = prefetch;
                    e.ConfigureConsumer<PingConsumer>(context);
                });
            });
        });
        await using var provider = services.BuildServiceProvider();
        var bus = provider.GetRequiredService<IBusControl>();
        using (var start = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await bus.StartAsync(start.Token);
        }
        try
        {
            // One message through first: topology declared, connections and serializers warm.
            await bus.Publish(new BenchPing { N = -1 });
            await counter.WarmAsync();
            return await MeasureAsync("MassTransit", messages, window, run, counter, i => bus.Publish(new BenchPing { N = i, UpdateId = Guid.NewGuid() }));
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    public async Task<BrokerSample> RawAsync(int messages, int window, int run)
    {
        var counter = new Counter(messages);
        var factory = new ConnectionFactory
        {
            HostName = host, Port = port, VirtualHost = vhost, UserName = user, Password = password,
            ConsumerDispatchConcurrency = (ushort)prefetch,
        };
        await using var connection = await factory.CreateConnectionAsync();
        await using var publisher = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await publisher.ExchangeDeclareAsync("bench-raw", ExchangeType.Fanout, durable: true);
        await publisher.QueueDeclareAsync("bench-raw", durable: true, exclusive: false, autoDelete: false);
        await publisher.QueueBindAsync("bench-raw", "bench-raw", "");
        await using var receiver = await connection.CreateChannelAsync();
        await receiver.BasicQosAsync(0, (ushort)prefetch, false);
        var consumer = new AsyncEventingBasicConsumer(receiver);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            counter.Hit();
            await receiver.BasicAckAsync(delivery.DeliveryTag, false);
        };
        await receiver.BasicConsumeAsync("bench-raw", autoAck: false, consumer);

        Task Publish(int i)
        {
            var properties = new BasicProperties
            {
                Persistent = true, ContentType = "application/json", MessageId = Guid.NewGuid().ToString(),
            };
            var body = Encoding.UTF8.GetBytes($$"""{"n":{{i}},"updateId":"{{Guid.NewGuid()}}"}""");
            return publisher.BasicPublishAsync("bench-raw", "", false, properties, body).AsTask();
        }

        await Publish(-1);
        await counter.WarmAsync();
        return await MeasureAsync("RabbitMQ.Client", messages, window, run, counter, Publish);
    }

    private static async Task<BrokerSample> MeasureAsync(string client, int messages, int window, int run, Counter counter, Func<int, Task> publish)
    {
        var cpu = new CpuMeter(new Dictionary<string, Func<IEnumerable<int>>>
        {
            ["client"] = () => [Environment.ProcessId],
            ["rabbitmq"] = () => Proc.ByComm("beam.smp"),
        });
        var before = cpu.Take();
        counter.Start();
        var start = Stopwatch.GetTimestamp();
        if (window <= 1)
        {
            for (var i = 0; i < messages; i++)
            {
                await publish(i);
            }
        }
        else
        {
            using var slots = new SemaphoreSlim(window);
            var pending = new List<Task>(messages);
            for (var i = 0; i < messages; i++)
            {
                await slots.WaitAsync();
                pending.Add(publish(i).ContinueWith(_ => slots.Release(), TaskScheduler.Default));
            }
            await Task.WhenAll(pending);
        }
        var published = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var consumed = await counter.DoneAsync(start, Deadline);
        var used = CpuMeter.Diff(before, cpu.Take());
        return new BrokerSample(client, window, run, messages, Math.Round(published, 3), Math.Round(consumed, 3), used["client"], used["rabbitmq"]);
    }

    public sealed class Counter(int target)
    {
        private int _seen;
        private bool _counting;
        private TaskCompletionSource _warm = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<long> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task WarmAsync() => _warm.Task.WaitAsync(TimeSpan.FromSeconds(30));

        public void Start() => Volatile.Write(ref _counting, true);

        public void Hit()
        {
            if (!Volatile.Read(ref _counting))
            {
                _warm.TrySetResult();
                return;
            }
            if (Interlocked.Increment(ref _seen) == target)
            {
                _done.TrySetResult(Stopwatch.GetTimestamp());
            }
        }

        public async Task<double> DoneAsync(long start, TimeSpan deadline)
        {
            try
            {
                var at = await _done.Task.WaitAsync(deadline);
                return (at - start) / (double)Stopwatch.Frequency;
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"only {Volatile.Read(ref _seen)} of {target} messages consumed in {deadline.TotalSeconds:0} s");
            }
        }
    }

    public sealed class PingConsumer(Counter counter) : IConsumer<BenchPing>
    {
        public Task Consume(ConsumeContext<BenchPing> context)
        {
            counter.Hit();
            return Task.CompletedTask;
        }
    }
}
