using CommsHub.Core.Hosting;
using CommsHub.Core.Subscribers;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Channels.Email;

/// <summary>
/// Every subscriber email carries its recipient's own unsubscribe link, twice: as RFC 8058
/// one-click headers (mailbox providers show an "Unsubscribe" button and POST to it) and as a
/// visible link in the body, filled in per recipient by SendGrid's substitution of
/// <see cref="Placeholder"/>.
/// </summary>
public sealed class UnsubscribeLinks(SubscriptionTokens tokens, IOptions<CommsHubOptions> options)
{
    public const string Placeholder = "%unsubscribe_url%";

    public string Url(Guid subscriberId) =>
        options.Value.Link("/subscriptions/unsubscribe?token=" + Uri.EscapeDataString(tokens.ForUnsubscribe(subscriberId)));

    public EmailRecipient Recipient(string address, Guid subscriberId, IReadOnlyDictionary<string, string>? customArgs = null)
    {
        var url = Url(subscriberId);
        return new EmailRecipient(
            address,
            customArgs,
            new Dictionary<string, string>
            {
                ["List-Unsubscribe"] = $"<{url}>",
                ["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click",
            },
            new Dictionary<string, string> { [Placeholder] = url });
    }
}
