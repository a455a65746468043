using CommsHub.Contracts;
using CommsHub.Core.Channels.Chat;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Deliveries;

/// <summary>
/// Chat posts follow the rules every channel now shares through the one send consumer: a post on the
/// wire runs to its answer and is recorded though its message is cancelled, and the target has a circuit.
/// The consumer is called directly with a message whose cancellation the test controls.
/// </summary>
public sealed class ChatSendRulesTests : SqliteAppTest, IDisposable
{
    private readonly ChatWebhookFake _chat = new();

    protected override Dictionary<string, string?> Settings() =>
        new(_chat.Configuration.Where(c => c.Key.Contains("Slack", StringComparison.Ordinal)).Append(SendConsumerCalls.NoScheduledRedrive));

    public void Dispose() => _chat.Dispose();

    [Fact]
    public async Task A_post_on_the_wire_when_its_message_is_cancelled_runs_to_its_answer_and_is_recorded_sent()
    {
        _chat.Answer("slack", new ChatAnswer(200, "ok", Delay: TimeSpan.FromSeconds(1.5)));
        var (updateId, deliveryId) = await QueuedChatDeliveryAsync();
        using var cancel = new CancellationTokenSource();

        var consuming = ConsumeAsync(updateId, cancel.Token);
        await Eventually.HoldsAsync(() => Task.FromResult(_chat.Posts("slack").Count == 1), "the post is on the wire");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => consuming);

        var delivery = await WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == deliveryId));
        Assert.Equal(DeliveryStatus.Sent, delivery.Status);
        Assert.Null(delivery.LeaseToken);
        Assert.Single(_chat.Posts("slack"));
    }

    [Fact]
    public async Task A_post_never_started_when_its_message_is_cancelled_is_handed_back_at_once_without_an_attempt()
    {
        var (updateId, deliveryId) = await QueuedChatDeliveryAsync();
        using var cancel = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ConsumeAsync(updateId, cancel.Token, new CancelsOnFirstRead(cancel)));

        Assert.Empty(_chat.Posts("slack"));
        await SendConsumerCalls.AssertHandedBackAsync(App.Services, deliveryId);
    }

    [Fact]
    public async Task A_failing_target_opens_its_circuit_and_later_posts_are_deferred_without_a_call_or_an_attempt()
    {
        _chat.Answer("slack", [.. Enumerable.Repeat(new ChatAnswer(500, "down"), 10)]);
        var batches = new List<(Guid UpdateId, Guid DeliveryId)>();
        for (var i = 0; i < 6; i++)
        {
            batches.Add(await QueuedChatDeliveryAsync());
        }

        foreach (var (updateId, _) in batches)
        {
            await ConsumeAsync(updateId, CancellationToken.None);
        }

        // Five failures in a minute open the circuit (FailureRatio 0.5 over MinimumThroughput 5): the sixth is never posted.
        Assert.Equal(5, _chat.Posts("slack").Count);
        var heldId = batches[^1].DeliveryId;
        var held = await WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == heldId));
        Assert.Equal(DeliveryStatus.Queued, held.Status);
        Assert.Equal(0, held.Attempts);
        Assert.NotNull(held.NextAttemptAt);
        Assert.Null(held.LeaseToken);
        var failedId = batches[0].DeliveryId;
        var failed = await WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == failedId));
        Assert.Equal(1, failed.Attempts);
        Assert.Contains("500", failed.LastError, StringComparison.Ordinal);
    }

    private Task<(Guid UpdateId, Guid DeliveryId)> QueuedChatDeliveryAsync() => SendConsumerCalls.QueuedPostAsync(App.Services, Admin, Channel.Chat);

    private Task ConsumeAsync(Guid updateId, CancellationToken cancellationToken, TimeProvider? time = null) =>
        SendConsumerCalls.ConsumeAsync<SendChatPost, ChatAdapter>(App.Services, Channel.Chat,
            batch => new SendChatPost { UpdateId = updateId, Batch = batch }, cancellationToken, time);
}
