using System.Net;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;

namespace CommsHub.Core.Channels.Email;

/// <summary>
/// Email: the whole batch (up to 1,000 recipients) is one SendGrid request, rendered once, one
/// personalization per recipient with their own unsubscribe link and the delivery id SendGrid's events return.
/// </summary>
public sealed class EmailAdapter(IEmailSender sender, UnsubscribeLinks unsubscribe) : ISendAdapter
{
    public Channel Channel => Channel.Email;
    public int RecipientsPerRequest => int.MaxValue;
    public int Parallelism => 1;
    public bool CircuitPerTarget => false;

    public Task<PreparedBatch> PrepareAsync(SendBatch batch, CancellationToken cancellationToken)
    {
        if (batch.Message is { } message)
        {
            // A confirmation or a notice to operators: as it was rendered, with no subscription to leave.
            var rendered = new RenderedEmail(message.Subject, message.Text, message.Html ?? $"<pre>{WebUtility.HtmlEncode(message.Text)}</pre>");
            return Task.FromResult(PreparedBatch.Ready(recipients => sender.SendAsync(rendered,
                [.. recipients.Select(d => new EmailRecipient(d.Recipient, new Dictionary<string, string> { ["delivery_id"] = d.Id.ToString() }))],
                CancellationToken.None)));
        }
        var email = EmailRenderer.Render(batch.Content!);
        return Task.FromResult(PreparedBatch.Ready(recipients => sender.SendAsync(email,
            [.. recipients.Select(d => unsubscribe.Recipient(d.Recipient, d.SubscriberId,
                new Dictionary<string, string> { ["delivery_id"] = d.Id.ToString() }))],
            CancellationToken.None)));
    }

    public ValueTask PaceAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public SubscriberStatus? SubscriptionAfter(SendResult result) => null;
}
