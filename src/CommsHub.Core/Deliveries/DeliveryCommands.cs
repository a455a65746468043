using CommsHub.Contracts;
using CommsHub.Core.Common;

namespace CommsHub.Core.Deliveries;

/// <summary>The send command that carries a batch of each channel, and the queue that takes it.</summary>
public static class DeliveryCommands
{
    /// <param name="ConcurrentMessages">Batches sent at once by one worker; null leaves MassTransit's default.</param>
    public sealed record Route(Channel Channel, Type Command, string Queue, int? ConcurrentMessages);

    /// <summary>
    /// The queue names are the broker topology every deployment has (and the fault suite and the bench wait for):
    /// they stay as they were when each channel had a consumer of its own.
    /// </summary>
    public static readonly IReadOnlyList<Route> Routes =
    [
        // SendGrid takes up to 1,000 recipients per request: 16 requests in flight keep a fan-out busy.
        new(Channel.Email, typeof(SendEmailBatch), "send-email-batch", 16),
        // The sender's rate budget is the real limit; a few batches in flight keep it busy.
        new(Channel.Sms, typeof(SendSmsBatch), "send-sms-batch", 4),
        // 8 batches × 16 posts each in flight; batches of 500 keep the claims, reads and records few per 1,000.
        new(Channel.Webhook, typeof(SendWebhookBatch), "send-webhook-batch", 8),
        new(Channel.Social, typeof(SendSocialPost), "send-social-post", null),
        new(Channel.Chat, typeof(SendChatPost), "send-chat-post", null),
    ];

    public static object? For(Channel channel, Guid updateId, int batch) => channel switch
    {
        Channel.Email => new SendEmailBatch { UpdateId = updateId, Batch = batch },
        Channel.Sms => new SendSmsBatch { UpdateId = updateId, Batch = batch },
        Channel.Webhook => new SendWebhookBatch { UpdateId = updateId, Batch = batch },
        Channel.Social => new SendSocialPost { UpdateId = updateId, Batch = batch },
        Channel.Chat => new SendChatPost { UpdateId = updateId, Batch = batch },
        _ => null,
    };

    /// <summary>The update and batch a command names.</summary>
    public static (Guid UpdateId, int Batch) Read(object command) => command switch
    {
        SendEmailBatch c => (c.UpdateId, c.Batch),
        SendSmsBatch c => (c.UpdateId, c.Batch),
        SendWebhookBatch c => (c.UpdateId, c.Batch),
        SendSocialPost c => (c.UpdateId, c.Batch),
        SendChatPost c => (c.UpdateId, c.Batch),
        _ => throw new NotSupportedException($"{command.GetType().Name} is not a send command."),
    };

    public static Route RouteOf(Type command) =>
        Routes.FirstOrDefault(r => r.Command == command) ?? throw new NotSupportedException($"{command.Name} is not a send command.");
}
