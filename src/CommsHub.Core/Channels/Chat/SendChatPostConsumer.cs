using CommsHub.Contracts;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Incidents;
using MassTransit;

namespace CommsHub.Core.Channels.Chat;

/// <summary>Posts an update to one chat incoming webhook (Slack, Discord or Teams).</summary>
public sealed class SendChatPostConsumer(DeliveryLeases leases, Accounts accounts, UpdateContentLoader contents) : IConsumer<SendChatPost>
{
    public async Task Consume(ConsumeContext<SendChatPost> context)
    {
        var ct = context.CancellationToken;
        var lease = await leases.ClaimAsync(context.Message.UpdateId, Channel.Chat, context.Message.Batch, ct);
        if (lease.Deliveries.Count == 0)
        {
            return;
        }
        var target = accounts.ChatFor(context.Message.Batch);
        var content = await contents.LoadAsync(context.Message.UpdateId, ct);
        if (target is not { IsConfigured: true } || content is null)
        {
            await leases.CompleteAsync(lease, new SendResult(DeliveryStatus.Failed, target?.Name ?? "chat",
                Error: content is null ? "The update no longer exists." : "The webhook is no longer configured."), ct);
            return;
        }
        var result = await target.PostAsync(target.RenderBody(content), ct);
        await leases.CompleteAsync(lease, result, ct);
    }
}
