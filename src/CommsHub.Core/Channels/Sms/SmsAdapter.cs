using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Hosting;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Channels.Sms;

/// <summary>
/// SMS: one Twilio request per recipient, one at a time within the sender's rate budget. A text in doubt
/// after a crash is looked up in Twilio's message list before it is sent again.
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
    public int Parallelism => 1;
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
