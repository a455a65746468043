using CommsHub.Contracts;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Hosting;
using CommsHub.Core.Incidents;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Channels.Sms;

/// <summary>
/// Sends one planned batch of SMS deliveries, one Twilio request per recipient within the
/// sender's rate budget. Outcomes are recorded in groups (<see cref="OutcomeBuffer"/>: at most a
/// quarter of a second of sending, or 100, per commit), so a batch retried after a crash re-sends
/// at most that last unrecorded group, never what was recorded. While Twilio's circuit is open
/// the rest of the batch is deferred, not attempted.
/// </summary>
public sealed class SendSmsBatchConsumer(
    CommsHubDbContext db,
    DeliveryLeases leases,
    UpdateContentLoader contents,
    ISmsSender sender,
    SmsRateBudget budget,
    IOptions<SmsOptions> sms,
    IOptions<CommsHubOptions> hub,
    IServiceScopeFactory scopes,
    TimeProvider time) : IConsumer<SendSmsBatch>
{
    // Twilio errors that say the number must not be texted again, and what that makes the subscriber.
    private static readonly Dictionary<string, SubscriberStatus> Suppressing = new()
    {
        ["21610"] = SubscriberStatus.Unsubscribed, // the recipient replied STOP to this sender
        ["21211"] = SubscriberStatus.Suppressed,   // not a valid phone number
        ["21614"] = SubscriberStatus.Suppressed,   // not a mobile number
        ["21612"] = SubscriberStatus.Suppressed,   // not reachable from this sender
    };

    public async Task Consume(ConsumeContext<SendSmsBatch> context)
    {
        var ct = context.CancellationToken;
        var lease = await leases.ClaimAsync(context.Message.UpdateId, Channel.Sms, context.Message.Batch, ct);
        if (lease.Deliveries.Count == 0)
        {
            return;
        }
        var content = await contents.LoadAsync(context.Message.UpdateId, ct);
        if (content is null)
        {
            await leases.CompleteAsync(lease, new SendResult(DeliveryStatus.Failed, "none", Error: "The update no longer exists."), ct);
            return;
        }

        var text = SmsRenderer.Render(content, sms.Value.MaxSegments);
        var callback = hub.Value.Link("/webhooks/twilio/status");
        var renewAt = time.GetUtcNow() + leases.Duration / 2;
        using var outcomes = new OutcomeBuffer(scopes, lease, time);
        var finished = false;
        try
        {
            foreach (var delivery in lease.Deliveries)
            {
                await outcomes.FlushIfDueAsync(ct);
                await budget.WaitAsync(ct);
                var result = await sender.SendAsync(delivery.Recipient, text.Body, callback, ct);
                if (result.Held)
                {
                    // Twilio's circuit is open or its Retry-After runs: this and the rest of the batch go back
                    // untried (no attempt counted). Recorded outcomes first: the deferral takes what is still leased.
                    await outcomes.FlushAsync(CancellationToken.None);
                    await leases.DeferAsync(lease, time.GetUtcNow() + result.RetryAfter.GetValueOrDefault(), CancellationToken.None);
                    finished = true;
                    return;
                }
                await outcomes.AddAsync(delivery, result, CancellationToken.None);
                if (result.ErrorCode is { } code && Suppressing.TryGetValue(code, out var status))
                {
                    await db.Subscribers.Where(s => s.Id == delivery.SubscriberId && s.Status == SubscriberStatus.Confirmed)
                        .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, status).SetProperty(x => x.UnsubscribedAt, time.GetUtcNow()), ct);
                }
                if (time.GetUtcNow() > renewAt)
                {
                    // A slow budget must not let the lease lapse while this batch is still sending.
                    await leases.RenewAsync(lease, ct);
                    renewAt = time.GetUtcNow() + leases.Duration / 2;
                }
            }
            finished = true;
        }
        finally
        {
            // Whatever was sent is recorded, even when the batch stops half-way (shutdown, a lost broker
            // connection); what was never tried is given back for the redelivered command.
            await outcomes.FlushAsync(CancellationToken.None);
            if (!finished)
            {
                await leases.ReleaseUntriedAsync(lease);
            }
        }
    }
}
