using CommsHub.Contracts;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Messaging;

/// <summary>
/// Hears of every message that ended in an error queue: MassTransit publishes a <c>Fault&lt;T&gt;</c>
/// once a consumer has failed its last retry, and a <c>ReceiveFault</c> when a message could not
/// even be read; both are a <see cref="Fault"/>. Each becomes an operator alert; a faulted send
/// command also counts against its batch (<see cref="FaultedCommands"/>), so the redrive cannot
/// re-send it forever.
/// </summary>
public sealed class BusFaultConsumer(PoisonAlerts alerts, FaultedCommands commands, ILogger<BusFaultConsumer> logger) : IConsumer<Fault>
{
    public const string EndpointName = "bus-faults";

    public async Task Consume(ConsumeContext<Fault> context)
    {
        var fault = context.Message;
        var queue = QueueOf(context.SourceAddress);
        var types = fault.FaultMessageTypes ?? [];
        var exception = fault.Exceptions?.FirstOrDefault();
        if (queue == EndpointName || types.Any(t => t.StartsWith("urn:message:MassTransit:Fault", StringComparison.Ordinal)))
        {
            // The alerting itself failed. Alerting about that could fail the same way, and so on: logged only.
            logger.LogCritical("A fault alert could not be recorded and is in {ErrorQueue}: {ExceptionType}: {ExceptionMessage}",
                queue + "_error", exception?.ExceptionType, exception?.Message);
            return;
        }
        if (exception?.ExceptionType is "System.OperationCanceledException" or "System.Threading.Tasks.TaskCanceledException")
        {
            // Interrupted, not refused: the broker connection was lost or the worker stopped while it
            // ran. The sender gave back what it had not sent (due at once for the retry sweep), so
            // this is no poison: not counted against the batch, no alert.
            logger.LogInformation("A message on {Queue} was interrupted ({ExceptionType}); its work is retried", queue, exception.ExceptionType);
            return;
        }
        var messageType = types.FirstOrDefault()
                          ?? (context.TryGetMessage<ReceiveFault>(out var receive) ? $"unreadable ({receive.Message.ContentType ?? "no content type"})" : "unknown");
        var record = new BusFault(queue, messageType, fault.FaultedMessageId, exception?.ExceptionType, exception?.Message,
            new DateTimeOffset(DateTime.SpecifyKind(fault.Timestamp, DateTimeKind.Utc)));

        // The batch first: a retry after a failed alert finds it already counted (its next attempt is ahead).
        if (SendCommandOf(context) is { } command)
        {
            await commands.FaultedAsync(command.Channel, command.UpdateId, command.Batch, record, context.CancellationToken);
        }
        await alerts.RecordAsync(record, context.CancellationToken);
    }

    private static string QueueOf(Uri? address) =>
        address?.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "unknown";

    private static (Channel Channel, Guid UpdateId, int Batch)? SendCommandOf(ConsumeContext context)
    {
        if (context.TryGetMessage<Fault<SendEmailBatch>>(out var email))
        {
            return (Channel.Email, email.Message.Message.UpdateId, email.Message.Message.Batch);
        }
        if (context.TryGetMessage<Fault<SendSmsBatch>>(out var sms))
        {
            return (Channel.Sms, sms.Message.Message.UpdateId, sms.Message.Message.Batch);
        }
        if (context.TryGetMessage<Fault<SendWebhookBatch>>(out var webhook))
        {
            return (Channel.Webhook, webhook.Message.Message.UpdateId, webhook.Message.Message.Batch);
        }
        if (context.TryGetMessage<Fault<SendSocialPost>>(out var social))
        {
            return (Channel.Social, social.Message.Message.UpdateId, social.Message.Message.Batch);
        }
        if (context.TryGetMessage<Fault<SendChatPost>>(out var chat))
        {
            return (Channel.Chat, chat.Message.Message.UpdateId, chat.Message.Message.Batch);
        }
        return null;
    }
}

public sealed class BusFaultConsumerDefinition : ConsumerDefinition<BusFaultConsumer>
{
    public BusFaultConsumerDefinition()
    {
        EndpointName = BusFaultConsumer.EndpointName;
        ConcurrentMessageLimit = 4;
    }
}
