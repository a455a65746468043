using System.Security.Cryptography;
using System.Text;
using CommsHub.Core.Channels.Chat;
using CommsHub.Core.Channels.Social;
using CommsHub.Core.Common;

namespace CommsHub.Core.Deliveries;

/// <summary>An account CommsHub posts to (a social network, a chat webhook): one delivery per update.</summary>
public sealed record Account(Channel Channel, string Name, int Batch, Guid Id, string Label);

/// <summary>
/// The configured accounts. A post is one delivery per (update, account): the account stands in
/// the subscriber column under a fixed id derived from its channel and name, and its batch number
/// names it, so the redrive loop and the claim treat it like any other batch.
/// </summary>
public sealed class Accounts(IEnumerable<ISocialNetwork> social, IEnumerable<IChatWebhook> chat)
{
    private static readonly string[] SocialOrder = ["mastodon", "bluesky", "x"];
    private static readonly string[] ChatOrder = ["slack", "discord", "teams"];

    public IReadOnlyList<Account> Configured(Channel channel) => channel switch
    {
        Channel.Social => social.Where(n => n.IsConfigured).Select(n => Make(Channel.Social, n.Name, SocialOrder, n.Account)).ToList(),
        Channel.Chat => chat.Where(c => c.IsConfigured).Select(c => Make(Channel.Chat, c.Name, ChatOrder, c.Target)).ToList(),
        _ => [],
    };

    public ISocialNetwork? SocialFor(int batch) => social.FirstOrDefault(n => Batch(SocialOrder, n.Name) == batch);

    public IChatWebhook? ChatFor(int batch) => chat.FirstOrDefault(c => Batch(ChatOrder, c.Name) == batch);

    public static Guid IdOf(Channel channel, string name) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"commshub-account:{channel.ToWire()}:{name}")).AsSpan(0, 16));

    private static Account Make(Channel channel, string name, string[] order, string label) =>
        new(channel, name, Batch(order, name), IdOf(channel, name), label);

    private static int Batch(string[] order, string name) => Array.IndexOf(order, name) + 1;
}
