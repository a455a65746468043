using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Hosting;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Channels.Sms;

/// <summary>
/// SMS: one Twilio request per recipient, as many at once as the sender's rate budget needs (<see cref="ParallelismFor"/>).
/// A text in doubt after a crash is looked up in Twilio's message list before it is sent again.
/// </summary>
public sealed class SmsAdapter(ISmsSender sender, SmsRateBudget budget, IOptions<SmsOptions> sms, IOptions<CommsHubOptions> hub) : ISendAdapter, IInDoubtLookup
{
    // Twilio errors that say the number must not be texted again, and what that makes the subscriber.
    private static readonly Dictionary<string, SubscriberStatus> Suppressing = new()
    {
        ["21610"] = SubscriberStatus.Unsubscribed, // the recipient replied STOP to this sender
        ["21211"] = SubscriberStatus.Suppressed,   // not a valid phone number
        ["21614"] = SubscriberStatus.Suppressed,   // not a mobile number
        ["21612"] = SubscriberStatus.Suppressed,   // not reachable from this sender
    };

    public Channel Channel => Channel.Sms;
    public int RecipientsPerRequest => 1;
    public int Parallelism => ParallelismFor(sms.Value.MessagesPerSecond);

    /// <summary>How long Twilio takes to answer a send, for sizing what is in flight (its API answers in 100–300 ms).</summary>
    internal static readonly TimeSpan TypicalAnswer = TimeSpan.FromMilliseconds(250);

    /// <summary>At most this many requests of one batch at once: Twilio limits an account's concurrent API requests.</summary>
    internal const int MostAtOnce = 16;

    /// <summary>
    /// Requests of one batch in flight: enough that the batches a worker sends at once keep the pace while Twilio takes
    /// <see cref="TypicalAnswer"/> to answer each (one at a time, four batches reach 16 texts a second: a budget of 100
    /// would have been a sixth used). 1 at the default 10 a second, 7 at 100, <see cref="MostAtOnce"/> from 250.
    /// </summary>
    internal static int ParallelismFor(double messagesPerSecond)
    {
        var batchesAtOnce = DeliveryCommands.RouteOf(typeof(Contracts.SendSmsBatch)).ConcurrentMessages ?? 1;
        return Math.Clamp((int)Math.Ceiling(messagesPerSecond * TypicalAnswer.TotalSeconds / batchesAtOnce), 1, MostAtOnce);
    }
    public bool CircuitPerTarget => false;

    public Task<PreparedBatch> PrepareAsync(SendBatch batch, CancellationToken cancellationToken)
    {
        var callback = hub.Value.Link("/webhooks/twilio/status");
        if (batch.Personal is { } personal)
        {
            return Task.FromResult(PreparedBatch.Ready(recipients =>
                sender.SendAsync(recipients[0].Recipient, personal[recipients[0].Id].Content.Text, callback, CancellationToken.None)));
        }
        var body = Body(batch);
        return Task.FromResult(PreparedBatch.Ready(recipients => sender.SendAsync(recipients[0].Recipient, body, callback, CancellationToken.None)));
    }

    public async Task<IReadOnlyDictionary<Guid, SendResult>> FindAsync(SendBatch batch, IReadOnlyList<LeasedDelivery> inDoubt, CancellationToken cancellationToken)
    {
        var found = new System.Collections.Concurrent.ConcurrentDictionary<Guid, SendResult>();
        // A few at once: a crash leaves a few dozen in doubt at most, and each is one small list request.
        await Parallel.ForEachAsync(inDoubt, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (delivery, ct) =>
        {
            var body = batch.Personal is { } personal ? personal[delivery.Id].Content.Text : Body(batch);
            if (delivery.InFlightAt is { } since && await sender.FindAsync(delivery.Recipient, body, since, ct) is { } sent)
            {
                found[delivery.Id] = sent;
            }
        });
        return found;
    }

    private string Body(SendBatch batch) => batch.Message?.Text ?? SmsRenderer.Render(batch.Content!, sms.Value.MaxSegments).Body;

    public ValueTask PaceAsync(CancellationToken cancellationToken) => new(budget.WaitAsync(cancellationToken));

    public double? RequestsPerSecond => sms.Value.MessagesPerSecond;

    public SubscriberStatus? SubscriptionAfter(SendResult result) =>
        result.ErrorCode is { } code && Suppressing.TryGetValue(code, out var status) ? status : null;
}
