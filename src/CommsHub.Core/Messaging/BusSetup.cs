using CommsHub.Contracts;
using CommsHub.Core.Channels.Chat;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Channels.Social;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Channels.Webhook;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Hosting;
using CommsHub.Core.Subscribers;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CommsHub.Core.Messaging;

public static class BusSetup
{
    /// <summary>
    /// MassTransit on RabbitMQ when <c>ConnectionStrings:RabbitMq</c> is set, else its in-memory
    /// transport. Consumers are registered only in the worker role; the api role only publishes.
    /// </summary>
    public static IServiceCollection AddCommsHubBus(this IServiceCollection services, IConfiguration configuration, CommsHubRoles roles,
        Action<IBusRegistrationConfigurator>? configure = null)
    {
        var rabbit = configuration.GetConnectionString("RabbitMq");
        // Read and checked here, at registration: a wrong value stops the host before it declares anything.
        var options = RabbitMqOptions.From(configuration);
        services.AddSingleton(sp => new BusTransport(string.IsNullOrWhiteSpace(rabbit), sp.GetRequiredService<TimeProvider>().GetUtcNow()));
        // Its start time is read when the host starts, before any consumer can claim a delivery: read later
        // (with the first component that needs it), this process's own claims would look like the last run's.
        services.AddHostedService<BusTransportClock>();
        services.AddMassTransit(x =>
        {
            x.SetKebabCaseEndpointNameFormatter();
            // A self-hosted product does not phone home: MassTransit's usage report to its vendor is off.
            x.DisableUsageTelemetry();
            if (roles.Worker)
            {
                x.AddConsumer<AudiencePlanner, AudiencePlannerDefinition>();
                x.AddConsumer<Campaigns.CampaignPlanner, CampaignPlannerDefinition>();
                x.AddConsumer<SubscriptionConfirmationConsumer>();
                // One send consumer for every channel; each medium is an adapter (Deliveries/ISendAdapter).
                x.AddSendConsumer<SendEmailBatch, EmailAdapter>();
                x.AddSendConsumer<SendSmsBatch, SmsAdapter>();
                x.AddSendConsumer<SendWebhookBatch, WebhookAdapter>();
                x.AddSendConsumer<SendSocialPost, SocialAdapter>();
                x.AddSendConsumer<SendChatPost, ChatAdapter>();
                x.AddConsumer<BusFaultConsumer, BusFaultConsumerDefinition>();
                var retry = FailurePolicyOptions.From(configuration);
                x.AddConfigureEndpointsCallback((_, _, endpoint) => ConfigureFailurePolicy(endpoint, retry));
            }
            if (options.Quorum)
            {
                x.AddConfigureEndpointsCallback((_, _, endpoint) => UseQuorumQueue(endpoint));
            }

            configure?.Invoke(x);

            if (string.IsNullOrWhiteSpace(rabbit))
            {
                x.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
            }
            else
            {
                var settings = RabbitMqAddress.Parse(rabbit);
                x.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(settings.Host, settings.Port, settings.VirtualHost, h =>
                    {
                        h.Username(settings.Username);
                        h.Password(settings.Password);
                        if (settings.Nodes.Count > 1)
                        {
                            // A cluster: a connection that drops (its node died) reconnects to the next listed
                            // node that answers; quorum queues keep their messages and leaders on the others.
                            h.UseCluster(c =>
                            {
                                foreach (var node in settings.Nodes)
                                {
                                    c.Node(node);
                                }
                            });
                        }
                        // A publish completes only once the broker has the message: the outbox marks a row
                        // published on that confirm. Off only for the fault suite's negative control.
                        h.PublisherConfirmation = options.PublisherConfirmation;
                        // A connection that stops answering (a black-holed network) is given up after
                        // two missed heartbeats and reconnected, rather than after the OS's TCP time-out.
                        h.Heartbeat(options.Heartbeat);
                        h.RequestedConnectionTimeout(options.ConnectionTimeout);
                        if (settings.UseSsl)
                        {
                            h.UseSsl(s => s.ServerName = settings.Host);
                        }
                    });
                    cfg.ConfigureEndpoints(context);
                });
            }
        });
        return services;
    }

    /// <summary>The channel's send consumer on its queue, and its adapter (resolved per message, in the consumer's scope).</summary>
    private static void AddSendConsumer<TCommand, TAdapter>(this IBusRegistrationConfigurator x)
        where TCommand : class
        where TAdapter : class, ISendAdapter
    {
        x.TryAddScoped<TAdapter>();
        x.AddConsumer<SendConsumer<TCommand, TAdapter>, SendConsumerDefinition<TCommand, TAdapter>>();
    }

    /// <summary>
    /// The one failure policy: a few quick in-process retries for faults that may pass (a deadlock,
    /// a database fail-over, a broker blip), then the message goes to the endpoint's <c>_error</c>
    /// queue, where it stays: nothing is acknowledged and dropped, nothing is redelivered from there.
    /// A fault that can never pass (an unreadable or invalid message) skips the retries: it would
    /// only hold a consumer slot for the whole schedule. <see cref="BusFaultConsumer"/> tells operators.
    /// </summary>
    private static void ConfigureFailurePolicy(IReceiveEndpointConfigurator endpoint, FailurePolicyOptions options) =>
        endpoint.UseMessageRetry(r =>
        {
            r.Ignore<Exception>(FailurePolicyOptions.Permanent);
            r.Intervals([.. options.RetryIntervals]);
        });

    /// <summary>
    /// <c>RabbitMq:QueueType=quorum</c>: every durable queue of an endpoint (and its <c>_error</c> and
    /// <c>_skipped</c> queues, which MassTransit declares with the same arguments) is a replicated quorum queue.
    /// A temporary endpoint (one process's own queue, such as the status page refresher's) stays classic,
    /// non-durable and auto-deleted: RabbitMQ refuses a quorum queue that is exclusive or auto-deleted,
    /// and a queue that dies with its process has nothing worth replicating.
    /// </summary>
    private static void UseQuorumQueue(IReceiveEndpointConfigurator endpoint)
    {
        // MassTransit marks a temporary endpoint (Temporary = true) non-durable and auto-deleted before
        // this callback runs; its input address says so. Nothing sets the queue's shape after this point.
        if (endpoint is not IRabbitMqReceiveEndpointConfigurator rabbit
            || new[] { "temporary=true", "autodelete=true", "durable=false" }.Any(mark => endpoint.InputAddress.Query.Contains(mark, StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }
        rabbit.SetQuorumQueue();
    }
}

/// <summary>The <c>Bus</c> configuration section: the in-process retry schedule of every consumer.</summary>
public sealed class FailurePolicyOptions
{
    /// <summary>
    /// 200 ms, 1 s, 5 s, 15 s: a consumer slot is held at most about 21 s per message. That rides out
    /// a deadlock at once and a PostgreSQL restart or fail-over (typically 5–15 s); an outage longer
    /// than that is not retried in process: a send command then waits for the redrive, an event for
    /// an operator (the alert names the queue). Faults that cannot pass never wait (<see cref="Permanent"/>).
    /// </summary>
    public static readonly TimeSpan[] DefaultRetryIntervals =
        [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)];

    /// <summary><c>Bus:RetryIntervals:0</c>, <c>:1</c>, …: the waits before each in-process retry; empty = the defaults.</summary>
    public IReadOnlyList<TimeSpan> RetryIntervals { get; init; } = DefaultRetryIntervals;

    public static FailurePolicyOptions From(IConfiguration configuration)
    {
        var intervals = configuration.GetSection("Bus:RetryIntervals").Get<TimeSpan[]>();
        if (intervals is { Length: > 0 } && intervals.Any(i => i < TimeSpan.Zero || i > TimeSpan.FromMinutes(1)))
        {
            throw new InvalidOperationException("Bus:RetryIntervals must be between 00:00:00 and 00:01:00 each, such as 00:00:00.200: a longer wait holds a consumer slot; "
                                                + "long back-off belongs to the delivery's next attempt time.");
        }
        return new FailurePolicyOptions { RetryIntervals = intervals is { Length: > 0 } ? intervals : DefaultRetryIntervals };
    }

    /// <summary>
    /// Faults that the same message meets again however often it is tried: it cannot be read
    /// (MassTransit throws <see cref="System.Runtime.Serialization.SerializationException"/>, JSON, formats and casts), or its content
    /// is invalid (arguments, our <see cref="Common.ValidationException"/>), or the code cannot handle it.
    /// </summary>
    public static bool Permanent(Exception exception) => exception is System.Runtime.Serialization.SerializationException or System.Text.Json.JsonException
        or ArgumentException or FormatException or InvalidCastException or Common.ValidationException or NotSupportedException
        or NotImplementedException;
}

public sealed class AudiencePlannerDefinition : ConsumerDefinition<AudiencePlanner>
{
    public AudiencePlannerDefinition() => ConcurrentMessageLimit = 4;
}

/// <summary>A campaign is planned by pages of a large audience: a couple at once per worker, like an update's plan.</summary>
public sealed class CampaignPlannerDefinition : ConsumerDefinition<Campaigns.CampaignPlanner>
{
    public CampaignPlannerDefinition() => ConcurrentMessageLimit = 2;
}

/// <summary>The <c>RabbitMq</c> configuration section (the address itself is <c>ConnectionStrings:RabbitMq</c>).</summary>
public sealed class RabbitMqOptions
{
    /// <summary>
    /// Wait for the broker's confirm of every publish (default). Turning it off lets the outbox mark
    /// a row published while the message may still be lost: never do so in production.
    /// </summary>
    public bool PublisherConfirmation { get; set; } = true;

    /// <summary>AMQP heartbeat: a silent connection is declared dead after about two of these.</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long opening a connection may take before it is tried again.</summary>
    public TimeSpan ConnectionTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <c>classic</c> (default) or <c>quorum</c>: the type of every queue CommsHub declares. Quorum queues
    /// are replicated over a cluster's nodes and survive the loss of a minority of them.
    /// </summary>
    public string QueueType { get; set; } = "classic";

    public bool Quorum => string.Equals(QueueType, "quorum", StringComparison.OrdinalIgnoreCase);

    public static RabbitMqOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection("RabbitMq").Get<RabbitMqOptions>() ?? new RabbitMqOptions();
        // An empty value (a variable set to nothing) is the default.
        if (!string.IsNullOrWhiteSpace(options.QueueType) && !string.Equals(options.QueueType, "classic", StringComparison.OrdinalIgnoreCase) && !options.Quorum)
        {
            throw new InvalidOperationException($"RabbitMq:QueueType must be 'classic' or 'quorum' (got '{options.QueueType}'). "
                                                + "Quorum queues need RabbitMQ 3.8 or later and are the choice for a cluster; an existing classic "
                                                + "queue cannot be turned into a quorum queue in place (see docs/operations.md).");
        }
        return options;
    }
}

/// <param name="Nodes">
/// Every node as <c>host:port</c>, the first being <see cref="Host"/>: a cluster is written with its nodes
/// comma-separated in the authority, <c>amqp://user:pass@mq-0:5672,mq-1:5672,mq-2:5672/vhost</c>.
/// </param>
internal sealed record RabbitMqAddress(string Host, ushort Port, string VirtualHost, string Username, string Password, bool UseSsl,
    IReadOnlyList<string> Nodes)
{
    public static RabbitMqAddress Parse(string uri)
    {
        // System.Uri takes one host: read the node list out of the authority, parse the rest with the first node.
        var (first, others) = SplitNodes(uri);
        if (!Uri.TryCreate(first, UriKind.Absolute, out var u) || (u.Scheme != "amqp" && u.Scheme != "amqps"))
        {
            throw new InvalidOperationException($"ConnectionStrings:RabbitMq must be an AMQP URI such as amqp://guest:guest@localhost:5672/, "
                                                + $"or for a cluster amqp://guest:guest@node1:5672,node2:5672,node3:5672/ (got '{uri}').");
        }
        var ssl = u.Scheme == "amqps";
        var port = u.IsDefaultPort || u.Port <= 0 ? (ssl ? 5671 : 5672) : u.Port;
        var userInfo = u.UserInfo.Split(':', 2);
        var user = userInfo.Length > 0 && userInfo[0].Length > 0 ? Uri.UnescapeDataString(userInfo[0]) : "guest";
        var password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : "guest";
        var path = u.AbsolutePath.TrimStart('/');
        var vhost = path.Length == 0 ? "/" : Uri.UnescapeDataString(path);
        var nodes = new List<string> { $"{u.Host}:{port}" };
        foreach (var node in others)
        {
            var parts = node.Split(':');
            if (parts.Length > 2 || parts[0].Length == 0 || (parts.Length == 2 && !ushort.TryParse(parts[1], out _)))
            {
                throw new InvalidOperationException($"ConnectionStrings:RabbitMq lists a node '{node}' that is not host or host:port "
                                                    + "(a cluster: amqp://guest:guest@node1:5672,node2:5672,node3:5672/).");
            }
            nodes.Add(parts.Length == 2 ? node : $"{node}:{(ssl ? 5671 : 5672)}");
        }
        return new RabbitMqAddress(u.Host, (ushort)port, vhost, user, password, ssl, nodes);
    }

    private static (string First, string[] Others) SplitNodes(string uri)
    {
        var scheme = uri.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return (uri, []);
        }
        var authorityStart = scheme + 3;
        var slash = uri.IndexOf('/', authorityStart);
        var authority = slash < 0 ? uri[authorityStart..] : uri[authorityStart..slash];
        var at = authority.LastIndexOf('@');
        var hosts = authority[(at + 1)..].Split(',', StringSplitOptions.TrimEntries);
        if (hosts.Length == 1)
        {
            return (uri, []);
        }
        var first = uri[..(authorityStart + at + 1)] + hosts[0] + (slash < 0 ? "" : uri[slash..]);
        return (first, hosts[1..]);
    }
}

/// <param name="InMemory">
/// MassTransit's in-memory transport (the embedded default): one process, and every message in flight
/// is gone with it, so what a previous run of the process had sent on its bus must be sent again.
/// </param>
/// <param name="StartedAt">When this process's host started (see <see cref="BusTransportClock"/>).</param>
public sealed record BusTransport(bool InMemory, DateTimeOffset StartedAt);

/// <summary>Fixes <see cref="BusTransport.StartedAt"/> at host start: hosted services are all made before any of them starts.</summary>
internal sealed class BusTransportClock(BusTransport transport) : Microsoft.Extensions.Hosting.IHostedService
{
    public BusTransport Transport { get; } = transport;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
