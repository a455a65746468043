using CommsHub.Contracts;
using CommsHub.Core.Channels.Social;
using CommsHub.Core.Common;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using CommsHub.Tests.Social;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Deliveries;

/// <summary>Social posts keep the rules every channel shares through the one send consumer (Mastodon's loopback fake).</summary>
public sealed class SocialSendRulesTests : SqliteAppTest, IDisposable
{
    private readonly MastodonFake _mastodon = new();

    protected override Dictionary<string, string?> Settings() =>
        new(SocialServices.Mastodon(_mastodon.Url).Append(SendConsumerCalls.NoScheduledRedrive));

    public void Dispose() => _mastodon.Dispose();

    [Fact]
    public async Task A_post_on_the_wire_when_its_message_is_cancelled_runs_to_its_answer_and_is_recorded_sent()
    {
        _mastodon.Delay = TimeSpan.FromSeconds(1.5);
        var (updateId, deliveryId) = await SendConsumerCalls.QueuedPostAsync(App.Services, Admin, Channel.Social);
        using var cancel = new CancellationTokenSource();

        var consuming = ConsumeAsync(updateId, cancel.Token);
        await Eventually.HoldsAsync(() => Task.FromResult(_mastodon.Arrived == 1), "the post is on the wire");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => consuming);

        var delivery = await WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == deliveryId));
        Assert.Equal(DeliveryStatus.Sent, delivery.Status);
        Assert.Contains(_mastodon.Requests.Single().StatusId!, delivery.ProviderMessageId, StringComparison.Ordinal);
        Assert.Null(delivery.LeaseToken);
        Assert.Equal(1, _mastodon.StatusesCreated);
    }

    [Fact]
    public async Task A_post_never_started_when_its_message_is_cancelled_is_handed_back_at_once_without_an_attempt()
    {
        var (updateId, deliveryId) = await SendConsumerCalls.QueuedPostAsync(App.Services, Admin, Channel.Social);
        using var cancel = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ConsumeAsync(updateId, cancel.Token, new CancelsOnFirstRead(cancel)));

        Assert.Equal(0, _mastodon.Arrived);
        await SendConsumerCalls.AssertHandedBackAsync(App.Services, deliveryId);
    }

    [Fact]
    public async Task A_failing_network_opens_its_circuit_and_later_posts_are_deferred_without_a_call_or_an_attempt()
    {
        _mastodon.Answer = _ => (503, null);
        var batches = new List<(Guid UpdateId, Guid DeliveryId)>();
        for (var i = 0; i < 6; i++)
        {
            batches.Add(await SendConsumerCalls.QueuedPostAsync(App.Services, Admin, Channel.Social));
        }

        foreach (var (updateId, _) in batches)
        {
            await ConsumeAsync(updateId, CancellationToken.None);
        }

        // Five failures in a minute open the circuit (FailureRatio 0.5 over MinimumThroughput 5): the sixth is never posted.
        Assert.Equal(5, _mastodon.Arrived);
        var heldId = batches[^1].DeliveryId;
        var held = await WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == heldId));
        Assert.Equal(DeliveryStatus.Queued, held.Status);
        Assert.Equal(0, held.Attempts);
        Assert.NotNull(held.NextAttemptAt);
        Assert.Null(held.LeaseToken);
    }

    private Task ConsumeAsync(Guid updateId, CancellationToken cancellationToken, TimeProvider? time = null) =>
        SendConsumerCalls.ConsumeAsync<SendSocialPost, SocialAdapter>(App.Services, Channel.Social,
            batch => new SendSocialPost { UpdateId = updateId, Batch = batch }, cancellationToken, time);
}
