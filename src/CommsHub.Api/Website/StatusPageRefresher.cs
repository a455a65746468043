using CommsHub.Contracts;
using CommsHub.Core.StatusPage;
using MassTransit;

namespace CommsHub.Api.Website;

/// <summary>
/// Every API process keeps its own snapshot, so each consumes the change events on its own
/// temporary queue (auto-deleted when it stops) and rebuilds.
/// </summary>
internal sealed class StatusPageRefresher(StatusChangeSignal signal) : IConsumer<IncidentUpdatePublished>, IConsumer<StatusPageChanged>
{
    public Task Consume(ConsumeContext<IncidentUpdatePublished> context)
    {
        signal.Notify();
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<StatusPageChanged> context)
    {
        signal.Notify();
        return Task.CompletedTask;
    }
}
