using CommsHub.Contracts;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Incidents;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Channels.Email;

/// <summary>Sends one planned batch of email deliveries as one SendGrid request.</summary>
public sealed class SendEmailBatchConsumer(
    DeliveryLeases leases,
    UpdateContentLoader contents,
    IEmailSender sender,
    UnsubscribeLinks unsubscribe,
    TimeProvider time,
    ILogger<SendEmailBatchConsumer> logger) : IConsumer<SendEmailBatch>
{
    public async Task Consume(ConsumeContext<SendEmailBatch> context)
    {
        var ct = context.CancellationToken;
        var lease = await leases.ClaimAsync(context.Message.UpdateId, Channel.Email, context.Message.Batch, ct);
        if (lease.Deliveries.Count == 0)
        {
            return; // already sent, or held by another sender: a redelivered command sends nothing twice
        }

        RenderedEmail email;
        List<EmailRecipient> recipients;
        try
        {
            var content = await contents.LoadAsync(context.Message.UpdateId, ct);
            if (content is null)
            {
                await leases.CompleteAsync(lease, new SendResult(DeliveryStatus.Failed, "none", Error: "The update no longer exists."), ct);
                return;
            }
            email = EmailRenderer.Render(content);
            recipients = [.. lease.Deliveries.Select(d => unsubscribe.Recipient(d.Recipient, d.SubscriberId,
                new Dictionary<string, string> { ["delivery_id"] = d.Id.ToString() }))];
            ct.ThrowIfCancellationRequested();
        }
        catch
        {
            // Stopped or failed before sending (a lost broker connection, a shutdown, a fault): nothing was
            // sent, so the batch is given back at once for the redelivered command or the retry.
            await leases.ReleaseUntriedAsync(lease);
            throw;
        }

        // Once on the wire, the answer is awaited (bounded by SendGrid:Timeout) and recorded whatever
        // happens to this message meanwhile: abandoning an accepted request would send it twice.
        var result = await sender.SendAsync(email, recipients, CancellationToken.None);
        if (result.Held)
        {
            // SendGrid's circuit is open or its Retry-After runs: nothing was sent, so no attempt is counted.
            await leases.DeferAsync(lease, time.GetUtcNow() + result.RetryAfter.GetValueOrDefault(), CancellationToken.None);
            logger.LogInformation("Email batch {Batch} of update {UpdateId} deferred: {Reason}", context.Message.Batch, context.Message.UpdateId, result.Error);
            return;
        }
        // A transient failure is left queued with its next attempt time; the redrive loop re-sends the batch then.
        await leases.CompleteAsync(lease, result, CancellationToken.None);
        if (!result.Accepted && !result.Transient)
        {
            logger.LogWarning("Email batch {Batch} of update {UpdateId} failed permanently: {Error}",
                context.Message.Batch, context.Message.UpdateId, result.Error);
        }
    }
}

public sealed class TransientDeliveryException(string message) : Exception(message);
