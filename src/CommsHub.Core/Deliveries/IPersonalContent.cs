using CommsHub.Core.Common;

namespace CommsHub.Core.Deliveries;

/// <summary>One recipient's own message (a campaign's, with their name and code), and where they leave the list it came from.</summary>
public sealed record PersonalMessage(MessageContent Content, string? UnsubscribeUrl);

/// <summary>
/// Content rendered per recipient, for deliveries whose <c>update_id</c> names neither an update nor an
/// <see cref="OutboundMessage"/> (a campaign). The send pipeline stays one: the adapter sends the batch as it
/// always does, taking each recipient's text from here.
/// </summary>
public interface IPersonalContent
{
    /// <returns>Each delivery's message by delivery id; empty when the messages were withdrawn (a cancelled campaign: the batch fails,
    /// nothing is sent); null when <paramref name="ownerId"/> is not what this source renders.</returns>
    Task<IReadOnlyDictionary<Guid, PersonalMessage>?> LoadAsync(Guid ownerId, Channel channel, IReadOnlyList<LeasedDelivery> deliveries, CancellationToken cancellationToken);
}
