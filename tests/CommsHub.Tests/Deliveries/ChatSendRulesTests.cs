using System.Reflection;
using CommsHub.Contracts;
using CommsHub.Core.Channels.Chat;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Deliveries;

/// <summary>
/// Chat posts follow the rules every channel now shares through the one send consumer: a post on the
/// wire runs to its answer and is recorded though its message is cancelled, and the target has a circuit.
/// The consumer is called directly with a message whose cancellation the test controls.
/// </summary>
public sealed class ChatSendRulesTests : SqliteAppTest, IDisposable
{
    private readonly ChatWebhookFake _chat = new();

    protected override Dictionary<string, string?> Settings() => new(_chat.Configuration.Where(c => c.Key.Contains("Slack", StringComparison.Ordinal)));

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

    /// <summary>An update that notified nobody, and a chat delivery for it that no consumer has taken.</summary>
    private async Task<(Guid UpdateId, Guid DeliveryId)> QueuedChatDeliveryAsync()
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Playback errors", message = "Investigating.", impact = "major", notify = false });
        var updateId = Guid.Parse(incident["updates"]![0]!["id"]!.GetValue<string>());
        var incidentId = Guid.Parse(incident["id"]!.GetValue<string>());
        var account = App.Services.GetRequiredService<Accounts>().Configured(Channel.Chat).Single();
        var delivery = new Core.Deliveries.Delivery
        {
            UpdateId = updateId, IncidentId = incidentId, SubscriberId = account.Id, Channel = Channel.Chat,
            Recipient = account.Label, Batch = account.Batch, CreatedAt = DateTimeOffset.UtcNow,
        };
        await WithDbAsync(async db =>
        {
            db.Deliveries.Add(delivery);
            return await db.SaveChangesAsync();
        });
        return (updateId, delivery.Id);
    }

    private async Task ConsumeAsync(Guid updateId, CancellationToken cancellationToken)
    {
        await using var scope = App.Services.CreateAsyncScope();
        var consumer = ActivatorUtilities.CreateInstance<SendConsumer<SendChatPost, ChatAdapter>>(scope.ServiceProvider);
        var account = App.Services.GetRequiredService<Accounts>().Configured(Channel.Chat).Single();
        await consumer.Consume(MessageContexts.Create(new SendChatPost { UpdateId = updateId, Batch = account.Batch }, cancellationToken));
    }
}

internal static class MessageContexts
{
    public static ConsumeContext<T> Create<T>(T message, CancellationToken token)
        where T : class
    {
        var context = DispatchProxy.Create<ConsumeContext<T>, MessageContext<T>>();
        ((MessageContext<T>)(object)context).Set(message, token);
        return context;
    }
}

/// <summary>A consume context that carries only a message and its cancellation: all the send consumer reads.</summary>
public class MessageContext<T> : DispatchProxy
    where T : class
{
    private T _message = null!;
    private CancellationToken _token;

    internal void Set(T message, CancellationToken token)
    {
        _message = message;
        _token = token;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod?.Name switch
    {
        "get_Message" => _message,
        "get_CancellationToken" => _token,
        _ => throw new NotSupportedException($"The send consumer does not use {targetMethod?.Name}."),
    };
}
