using CommsHub.Contracts;
using CommsHub.Core.StatusPage;
using MassTransit;

namespace CommsHub.Api.Website;

/// <summary>
/// Every API process keeps its own snapshot, so each consumes the change events on its own
/// temporary queue (auto-deleted when it stops) and rebuilds. It does not listen to
/// <see cref="IncidentUpdatePublished"/> (a published update comes with a <see cref="StatusPageChanged"/>):
/// that event must reach a worker, and a binding of the API's would hide from the broker that none is there.
/// </summary>
internal sealed class StatusPageRefresher(StatusChangeSignal signal) : IConsumer<StatusPageChanged>
{
    public Task Consume(ConsumeContext<StatusPageChanged> context)
    {
        signal.Notify();
        return Task.CompletedTask;
    }
}
