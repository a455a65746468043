using CommsHub.Core.Channels.Resilience;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;

namespace CommsHub.Core.Channels.Social;

/// <summary>
/// Social: one post per update to one account (the batch number names the network), as a reply to the
/// incident's previous post there so the incident reads as one thread, behind the network's circuit.
/// A follow-up waits while the post it must reply to is still queued; a failed earlier post is skipped,
/// the thread continues from the last one that exists.
/// </summary>
public sealed class SocialAdapter(Accounts accounts, NamedCircuits circuits) : ISendAdapter
{
    /// <summary>How long a follow-up waits before looking again for the post it replies to.</summary>
    private static readonly TimeSpan ThreadWait = TimeSpan.FromSeconds(2);

    public Channel Channel => Channel.Social;
    public int RecipientsPerRequest => 1;
    public int Parallelism => 1;
    public bool CircuitPerTarget => false;

    public async Task<PreparedBatch> PrepareAsync(SendBatch batch, CancellationToken cancellationToken)
    {
        var network = accounts.SocialFor(batch.Batch);
        if (network is not { IsConfigured: true })
        {
            return PreparedBatch.Failed(network?.Name ?? "social", "The account is no longer configured.");
        }
        if (batch.Content is not { } content)
        {
            return PreparedBatch.Failed(network.Name, "Only incident updates are posted to social networks.");
        }
        var delivery = batch.Deliveries[0];
        var earlier = await batch.History.EarlierAsync(delivery.SubscriberId, cancellationToken);
        if (earlier.Any(e => e.Status == DeliveryStatus.Queued))
        {
            return PreparedBatch.Later(ThreadWait);
        }
        var posts = earlier.Where(e => e.Status == DeliveryStatus.Sent).Select(e => SocialPostRef.Parse(e.ProviderMessageId)).OfType<SocialPostRef>().ToList();
        var thread = posts.Count == 0 ? null : new SocialThread(posts[0], posts[^1]);
        var text = network.Render(content, isFollowUp: thread is not null);
        var circuit = circuits.For(network.Name, network.Account);
        return PreparedBatch.Ready(async _ => await circuit.SendAsync(
            async _ => (await network.PostAsync(text, content, thread, delivery.Id.ToString("N"), CancellationToken.None)).Result,
            CancellationToken.None));
    }

    public ValueTask PaceAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public SubscriberStatus? SubscriptionAfter(SendResult result) => null;
}
