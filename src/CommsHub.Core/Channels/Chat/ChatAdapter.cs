using CommsHub.Core.Channels.Resilience;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;

namespace CommsHub.Core.Channels.Chat;

/// <summary>
/// Chat: one post per update to one incoming webhook (the batch number names it), behind that
/// target's own circuit.
/// </summary>
public sealed class ChatAdapter(Accounts accounts, NamedCircuits circuits) : ISendAdapter
{
    public Channel Channel => Channel.Chat;
    public int RecipientsPerRequest => 1;
    public int Parallelism => 1;
    public bool CircuitPerTarget => true;

    public Task<PreparedBatch> PrepareAsync(SendBatch batch, CancellationToken cancellationToken)
    {
        var target = accounts.ChatFor(batch.Batch);
        if (target is not { IsConfigured: true })
        {
            return Task.FromResult(PreparedBatch.Failed(target?.Name ?? "chat", "The webhook is no longer configured."));
        }
        var body = batch.Message?.ChatBody ?? target.RenderBody(batch.Content!);
        var circuit = circuits.For(target.Name, target.Target);
        return Task.FromResult(PreparedBatch.Ready(_ => circuit.SendAsync(_ => target.PostAsync(body, CancellationToken.None), CancellationToken.None)));
    }

    public ValueTask PaceAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public SubscriberStatus? SubscriptionAfter(SendResult result) => null;
}
