using MassTransit;

namespace CommsHub.Core.Deliveries;

/// <summary>Each channel's queue (named as it always was) and how many of its batches one worker sends at once.</summary>
public sealed class SendConsumerDefinition<TCommand, TAdapter> : ConsumerDefinition<SendConsumer<TCommand, TAdapter>>
    where TCommand : class
    where TAdapter : ISendAdapter
{
    public SendConsumerDefinition()
    {
        var route = DeliveryCommands.RouteOf(typeof(TCommand));
        EndpointName = route.Queue;
        if (route.ConcurrentMessages is { } limit)
        {
            ConcurrentMessageLimit = limit;
        }
    }
}
