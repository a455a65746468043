using System.Net;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Channels.Email;

/// <summary>
/// Email: the whole batch (up to 1,000 recipients) is one SendGrid request, rendered once, one
/// personalization per recipient with their own unsubscribe link and the delivery id SendGrid's events return.
/// Each request carries its batch key, so a batch in doubt after a crash can be looked up in SendGrid's
/// Email Activity (<c>Channels:Email:SendGrid:ActivityApi</c>) before it is sent again.
/// </summary>
public sealed class EmailAdapter(IEmailSender sender, UnsubscribeLinks unsubscribe, IOptions<EmailOptions> options) : ISendAdapter, IInDoubtLookup
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
            return Task.FromResult(PreparedBatch.Ready(recipients => sender.SendAsync(Keyed(rendered, batch, recipients),
                [.. recipients.Select(d => new EmailRecipient(d.Recipient, new Dictionary<string, string> { ["delivery_id"] = d.Id.ToString() }))],
                CancellationToken.None)));
        }
        if (batch.Personal is { } personal)
        {
            // Still one request for the batch: the body is a placeholder each recipient's personalization fills in.
            var placeholders = new RenderedEmail(SubjectPlaceholder, TextPlaceholder, HtmlPlaceholder);
            return Task.FromResult(PreparedBatch.Ready(recipients => sender.SendAsync(Keyed(placeholders, batch, recipients),
                [.. recipients.Select(d => Personal(d, personal[d.Id]))], CancellationToken.None)));
        }
        var email = EmailRenderer.Render(batch.Content!);
        return Task.FromResult(PreparedBatch.Ready(recipients => sender.SendAsync(Keyed(email, batch, recipients),
            [.. recipients.Select(d => unsubscribe.Recipient(d.Recipient, d.SubscriberId,
                new Dictionary<string, string> { ["delivery_id"] = d.Id.ToString() }))],
            CancellationToken.None)));
    }

    public async Task<IReadOnlyDictionary<Guid, SendResult>> FindAsync(SendBatch batch, IReadOnlyList<LeasedDelivery> inDoubt, CancellationToken cancellationToken)
    {
        var found = new Dictionary<Guid, SendResult>();
        if (!options.Value.SendGrid.ActivityApi || sender is not IEmailActivity activity)
        {
            return found;
        }
        // One look-up per request that was in flight: its recipients share its mark.
        foreach (var request in inDoubt.Where(d => d.InFlightAt is not null).GroupBy(d => d.InFlightAt!.Value))
        {
            var accepted = await activity.FindBatchAsync(EmailBatchKey.For(batch.UpdateId, batch.Batch, request.Key), request.Count(), cancellationToken);
            foreach (var delivery in request)
            {
                if (accepted.TryGetValue(delivery.Recipient, out var messageId))
                {
                    found[delivery.Id] = new SendResult(DeliveryStatus.Sent, SendGridEmailSender.Provider, messageId);
                }
            }
        }
        return found;
    }

    public const string SubjectPlaceholder = "%personal_subject%";
    public const string TextPlaceholder = "%personal_text%";
    public const string HtmlPlaceholder = "%personal_html%";

    // Its own subject and body as substitutions, and RFC 8058 one-click headers to leave the list it came from.
    private static EmailRecipient Personal(LeasedDelivery delivery, PersonalMessage message) => new(
        delivery.Recipient,
        new Dictionary<string, string> { ["delivery_id"] = delivery.Id.ToString() },
        message.UnsubscribeUrl is { } url
            ? new Dictionary<string, string> { ["List-Unsubscribe"] = $"<{url}>", ["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click" }
            : null,
        new Dictionary<string, string>
        {
            [SubjectPlaceholder] = message.Content.Subject,
            [TextPlaceholder] = message.Content.Text,
            [HtmlPlaceholder] = message.Content.Html ?? WebUtility.HtmlEncode(message.Content.Text),
        });

    private static RenderedEmail Keyed(RenderedEmail email, SendBatch batch, IReadOnlyList<LeasedDelivery> recipients) =>
        recipients[0].InFlightAt is { } at ? email with { BatchKey = EmailBatchKey.For(batch.UpdateId, batch.Batch, at) } : email;

    public ValueTask PaceAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public SubscriberStatus? SubscriptionAfter(SendResult result) => null;
}
