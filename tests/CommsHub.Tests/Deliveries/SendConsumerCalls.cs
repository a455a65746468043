using System.Reflection;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using CommsHub.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Deliveries;

/// <summary>Calls the send consumer directly, with a message whose cancellation the test controls.</summary>
internal static class SendConsumerCalls
{
    /// <summary>
    /// Turns off the recurring deliveries-retry job. A test that calls the consumer itself and writes a state the redrive
    /// acts on (an expired lease, a delivery handed back due at once) would otherwise race the product's own consumer,
    /// which the job's command starts every 2 s: the test's call could find nothing, or its assertions a second claim.
    /// </summary>
    public static readonly KeyValuePair<string, string?> NoScheduledRedrive = new("Scheduling:Recurring:deliveries-retry", "-");

    public static async Task ConsumeAsync<TCommand, TAdapter>(IServiceProvider services, Channel channel, Func<int, TCommand> command,
        CancellationToken cancellationToken, TimeProvider? time = null)
        where TCommand : class
        where TAdapter : ISendAdapter
    {
        await using var scope = services.CreateAsyncScope();
        var consumer = time is null
            ? ActivatorUtilities.CreateInstance<SendConsumer<TCommand, TAdapter>>(scope.ServiceProvider)
            : ActivatorUtilities.CreateInstance<SendConsumer<TCommand, TAdapter>>(scope.ServiceProvider, time);
        var account = services.GetRequiredService<Accounts>().Configured(channel).Single();
        await consumer.Consume(MessageContexts.Create(command(account.Batch), cancellationToken));
    }

    /// <summary>An update that notified nobody, and a post delivery for it (chat or social) that no consumer has taken.</summary>
    public static async Task<(Guid UpdateId, Guid DeliveryId)> QueuedPostAsync(IServiceProvider services, HttpClient admin, Channel channel)
    {
        var incident = await admin.PostAsync("/api/incidents", new { title = "Playback errors", message = "Investigating.", impact = "major", notify = false });
        var updateId = Guid.Parse(incident["updates"]![0]!["id"]!.GetValue<string>());
        var incidentId = Guid.Parse(incident["id"]!.GetValue<string>());
        var account = services.GetRequiredService<Accounts>().Configured(channel).Single();
        var delivery = new Core.Deliveries.Delivery
        {
            UpdateId = updateId, IncidentId = incidentId, SubscriberId = account.Id, Channel = channel,
            Recipient = account.Label, Batch = account.Batch, CreatedAt = DateTimeOffset.UtcNow,
        };
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        db.Deliveries.Add(delivery);
        await db.SaveChangesAsync();
        return (updateId, delivery.Id);
    }

    /// <summary>Queued, unleased, due at once, and the claim's attempt not counted.</summary>
    public static async Task AssertHandedBackAsync(IServiceProvider services, Guid deliveryId)
    {
        await using var scope = services.CreateAsyncScope();
        var delivery = await scope.ServiceProvider.GetRequiredService<CommsHubDbContext>().Deliveries.AsNoTracking().SingleAsync(d => d.Id == deliveryId);
        Assert.Equal(DeliveryStatus.Queued, delivery.Status);
        Assert.Null(delivery.LeaseToken);
        Assert.Null(delivery.LeaseUntil);
        Assert.Equal(0, delivery.Attempts);
        Assert.NotNull(delivery.NextAttemptAt);
        Assert.True(delivery.NextAttemptAt <= DateTimeOffset.UtcNow, $"due at once, not at {delivery.NextAttemptAt:O}");
    }
}

/// <summary>
/// The consumer's clock, cancelling the message the first time it is read: the consumer reads it only
/// once the batch is claimed and rendered, just before its first request, so the cancellation lands there.
/// </summary>
internal sealed class CancelsOnFirstRead(CancellationTokenSource cancel) : TimeProvider
{
    public override DateTimeOffset GetUtcNow()
    {
        cancel.Cancel();
        return base.GetUtcNow();
    }
}

internal static class MessageContexts
{
    public static ConsumeContext<T> Create<T>(T message, CancellationToken token)
        where T : class
    {
        var context = DispatchProxy.Create<ConsumeContext<T>, MessageContext<T>>();
        ((MessageContext<T>)(object)context).Set(message, token);
        return context;
    }
}

/// <summary>A consume context that carries only a message and its cancellation: all the send consumer reads.</summary>
public class MessageContext<T> : DispatchProxy
    where T : class
{
    private T _message = null!;
    private CancellationToken _token;

    internal void Set(T message, CancellationToken token)
    {
        _message = message;
        _token = token;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod?.Name switch
    {
        "get_Message" => _message,
        "get_CancellationToken" => _token,
        _ => throw new NotSupportedException($"The send consumer does not use {targetMethod?.Name}."),
    };
}
