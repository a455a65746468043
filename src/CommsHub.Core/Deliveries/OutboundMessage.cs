using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Messaging;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// A message that is not an incident update — a subscription confirmation, a notice or a sign-in link
/// to operators — rendered once when it is asked for and sent as deliveries like any update: claimed,
/// retried, recorded, audited and listed (<c>GET /api/deliveries?kind=</c>). Its id stands in the
/// deliveries' <c>update_id</c>.
/// </summary>
public sealed class OutboundMessage
{
    public Guid Id { get; init; } = Ids.New();
    public DeliveryKind Kind { get; init; }

    /// <summary>What prompted it (<c>subscription.confirmation</c>, <c>operator.invitation</c>, <c>incident.reminder</c>, <c>alert</c>…), for the record.</summary>
    public required string Purpose { get; init; }

    public Guid? IncidentId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>
    /// The <see cref="MessageContent"/>, encrypted with Data Protection: it may carry a confirmation link, a
    /// webhook's signing secret or a link that sets an operator's password.
    /// </summary>
    public required string SealedContent { get; init; }
}

/// <summary>A message as each medium sends it; a medium the message does not go to may leave its part empty.</summary>
/// <param name="Text">The email's text part, and the whole of an SMS.</param>
/// <param name="WebhookBody">The JSON body posted (and signed) to a webhook recipient.</param>
/// <param name="ChatBody">The JSON body posted to a chat webhook.</param>
public sealed record MessageContent(string Subject, string Text, string? Html = null, string? WebhookBody = null, string? ChatBody = null);

/// <param name="RecipientId">The subscriber, operator or chat account; <see cref="OutboundMessages.RecipientIdOf"/> for a bare address.</param>
/// <param name="Batch">The provider request it goes in (a chat account's batch names the account).</param>
public sealed record MessageRecipient(Channel Channel, Guid RecipientId, string Address, int Batch = 1);

/// <summary>Queues and reads <see cref="OutboundMessage"/>s.</summary>
public sealed class OutboundMessages(CommsHubDbContext db, IDataProtectionProvider protection, TimeProvider time)
{
    private readonly IDataProtector _protector = protection.CreateProtector("CommsHub.Deliveries.Message.v1");

    /// <summary>
    /// Adds the message, one queued delivery per recipient and the send command of each batch to the context:
    /// they commit with the caller's own changes (its <c>SaveChangesAsync</c>), and the outbox publishes the
    /// commands after the commit, so the message is sent at least once and never before it is recorded.
    /// </summary>
    public OutboundMessage Queue(DeliveryKind kind, string purpose, MessageContent content, IReadOnlyList<MessageRecipient> recipients, Guid? incidentId = null)
    {
        var now = time.GetUtcNow();
        var message = new OutboundMessage
        {
            Kind = kind, Purpose = purpose, IncidentId = incidentId, CreatedAt = now,
            SealedContent = _protector.Protect(JsonSerializer.Serialize(content, JsonSerializerOptions.Web)),
        };
        db.Messages.Add(message);
        foreach (var r in recipients.DistinctBy(r => (r.Channel, r.RecipientId)))
        {
            db.Deliveries.Add(new Delivery
            {
                UpdateId = message.Id, Kind = kind, IncidentId = incidentId ?? Guid.Empty, SubscriberId = r.RecipientId, Channel = r.Channel,
                Recipient = r.Address, CreatedAt = now, Batch = r.Batch,
            });
        }
        foreach (var (channel, batch) in recipients.Select(r => (r.Channel, r.Batch)).Distinct())
        {
            db.OpenBatches.Add(new OpenBatch { UpdateId = message.Id, Channel = channel, Batch = batch, CreatedAt = now });
            Outbox.Enqueue(db, DeliveryCommands.For(channel, message.Id, batch)
                               ?? throw new ArgumentException($"No message is sent on the {channel.ToWire()} channel.", nameof(recipients)), now);
        }
        return message;
    }

    /// <returns>The content, or null when <paramref name="id"/> is not a message (an update's id, or an erased message).</returns>
    public async Task<MessageContent?> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        var sealedContent = await db.Messages.AsNoTracking().Where(m => m.Id == id).Select(m => m.SealedContent).FirstOrDefaultAsync(cancellationToken);
        return sealedContent is null ? null : JsonSerializer.Deserialize<MessageContent>(_protector.Unprotect(sealedContent), JsonSerializerOptions.Web);
    }

    /// <summary>A fixed id for a recipient known only by address (an operator in <c>Operators:Emails</c>): one delivery per message and address.</summary>
    public static Guid RecipientIdOf(Channel channel, string address) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"commshub-recipient:{channel.ToWire()}:{address.ToLowerInvariant()}")).AsSpan(0, 16));
}
