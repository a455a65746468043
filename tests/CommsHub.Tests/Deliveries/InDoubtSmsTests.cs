using CommsHub.Contracts;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Deliveries;

/// <summary>
/// A text whose sender died after its request left (marked in flight, its lease expired, no answer recorded)
/// is looked up in Twilio's message list before it is sent again. The kill is simulated by writing that state.
/// </summary>
public sealed class InDoubtSmsTests : SqliteAppTest, IDisposable
{
    private readonly TwilioFake _twilio = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Sms:From"] = "+15005550006",
        ["Channels:Sms:Twilio:AccountSid"] = TwilioFake.AccountSid,
        ["Channels:Sms:Twilio:AuthToken"] = TwilioFake.AuthToken,
        ["Channels:Sms:Twilio:BaseUrl"] = _twilio.Url,
        ["Channels:Sms:Twilio:Timeout"] = "00:00:01",
        [SendConsumerCalls.NoScheduledRedrive.Key] = SendConsumerCalls.NoScheduledRedrive.Value,
    };

    public void Dispose() => _twilio.Dispose();

    [Fact]
    public async Task A_text_in_doubt_that_Twilio_accepted_is_recorded_sent_with_its_sid_without_a_second_request()
    {
        var (updateId, deliveryId) = await QueuedSmsAsync();
        await ConsumeAsync(updateId);
        var first = Assert.Single(_twilio.Accepted);
        await LeaveInDoubtAsync(updateId, deliveryId);

        await ConsumeAsync(updateId);

        Assert.Single(_twilio.Requests);
        Assert.Equal(1, _twilio.Lookups);
        var delivery = await WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == deliveryId));
        Assert.Equal(DeliveryStatus.Sent, delivery.Status);
        Assert.Equal(first.Sid, delivery.ProviderMessageId);
        Assert.Null(delivery.LeaseToken);
        Assert.False(await WithDbAsync(db => db.InFlightMarks.AnyAsync()));
    }

    [Fact]
    public async Task A_text_in_doubt_that_Twilio_never_received_is_sent_again_once()
    {
        var (updateId, deliveryId) = await QueuedSmsAsync();
        await LeaveInDoubtAsync(updateId, deliveryId);

        await ConsumeAsync(updateId);

        Assert.Equal(1, _twilio.Lookups);
        var sent = Assert.Single(_twilio.Accepted);
        var delivery = await WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == deliveryId));
        Assert.Equal(DeliveryStatus.Sent, delivery.Status);
        Assert.Equal(sent.Sid, delivery.ProviderMessageId);
        Assert.False(await WithDbAsync(db => db.InFlightMarks.AnyAsync()));
    }

    [Fact]
    public async Task A_text_whose_request_timed_out_is_looked_up_before_its_retry_and_not_sent_twice()
    {
        var (updateId, deliveryId) = await QueuedSmsAsync();
        // Twilio takes the first request but answers after the client's time-out (1 s).
        _twilio.DelayFor = n => n == 1 ? TimeSpan.FromSeconds(3) : TimeSpan.Zero;

        await ConsumeAsync(updateId);

        // A transient failure that keeps the lease's token (not its time) and so its mark: the text is in doubt.
        var waiting = await WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == deliveryId));
        Assert.Equal(DeliveryStatus.Queued, waiting.Status);
        Assert.NotNull(waiting.NextAttemptAt);
        Assert.NotNull(waiting.LeaseToken);
        Assert.Null(waiting.LeaseUntil);
        Assert.True(await WithDbAsync(db => db.InFlightMarks.AnyAsync(m => m.LeaseToken == waiting.LeaseToken)));
        // Twilio accepted it after all, after the client gave up on it.
        await Eventually.HoldsAsync(() => Task.FromResult(_twilio.Accepted.Count == 1), "Twilio accepted the abandoned request", TimeSpan.FromSeconds(15));
        // The retry falls due.
        await WithDbAsync(db => db.Deliveries.Where(d => d.Id == deliveryId).ExecuteUpdateAsync(s => s.SetProperty(d => d.NextAttemptAt, DateTimeOffset.UtcNow.AddSeconds(-1))));

        await ConsumeAsync(updateId);

        Assert.Single(_twilio.Requests);
        Assert.Equal(1, _twilio.Lookups);
        var delivery = await WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == deliveryId));
        Assert.Equal(DeliveryStatus.Sent, delivery.Status);
        Assert.Equal(_twilio.Accepted[0].Sid, delivery.ProviderMessageId);
        Assert.Null(delivery.LeaseToken);
        Assert.False(await WithDbAsync(db => db.InFlightMarks.AnyAsync()));
    }

    [Fact]
    public async Task A_text_in_doubt_whose_look_up_failed_is_sent_again_under_a_mark_that_keeps_the_dead_senders_time()
    {
        var (updateId, deliveryId) = await QueuedSmsAsync();
        var since = await LeaveInDoubtAsync(updateId, deliveryId);
        _twilio.ListStatusFor = _ => 500;
        InFlightMark? onTheWire = null;
        _twilio.DelayFor = _ =>
        {
            // What a second crash at this moment would leave for the next claim to look up.
            onTheWire = WithDbAsync(db => db.InFlightMarks.AsNoTracking().SingleOrDefaultAsync()).GetAwaiter().GetResult();
            return TimeSpan.Zero;
        };

        await ConsumeAsync(updateId);

        // Unknown is not sent: at least once, so it is sent again...
        Assert.Equal(1, _twilio.Lookups);
        Assert.Single(_twilio.Accepted);
        // ...under a mark that still looks back to the dead sender's time: nothing was learnt about its request.
        Assert.NotNull(onTheWire);
        Assert.Equal(since, onTheWire.Since);
        Assert.Equal(DeliveryStatus.Sent, (await WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == deliveryId))).Status);
    }

    [Fact]
    public async Task A_text_sent_normally_is_not_looked_up_and_leaves_no_mark()
    {
        var (updateId, deliveryId) = await QueuedSmsAsync();

        await ConsumeAsync(updateId);

        Assert.Single(_twilio.Accepted);
        Assert.Equal(0, _twilio.Lookups);
        var delivery = await WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == deliveryId));
        Assert.Equal(DeliveryStatus.Sent, delivery.Status);
        Assert.False(await WithDbAsync(db => db.InFlightMarks.AnyAsync()));
    }

    private async Task ConsumeAsync(Guid updateId)
    {
        await using var scope = App.Services.CreateAsyncScope();
        var consumer = ActivatorUtilities.CreateInstance<SendConsumer<SendSmsBatch, SmsAdapter>>(scope.ServiceProvider);
        await consumer.Consume(MessageContexts.Create(new SendSmsBatch { UpdateId = updateId, Batch = 0 }, CancellationToken.None));
    }

    // What a SIGKILL leaves: queued under a lease that has since expired, whose sender marked it in flight a moment ago.
    private async Task<DateTimeOffset> LeaveInDoubtAsync(Guid updateId, Guid deliveryId)
    {
        var token = Guid.NewGuid();
        var since = InFlightMarks.Truncate(DateTimeOffset.UtcNow.AddSeconds(-5));
        await WithDbAsync(db => db.Deliveries.Where(d => d.Id == deliveryId).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Status, DeliveryStatus.Queued)
            .SetProperty(d => d.ProviderMessageId, (string?)null)
            .SetProperty(d => d.LeaseToken, token)
            .SetProperty(d => d.LeaseUntil, DateTimeOffset.UtcNow.AddSeconds(-1))));
        await WithDbAsync(db =>
        {
            db.InFlightMarks.Add(new InFlightMark
            {
                LeaseToken = token, UpdateId = updateId, Channel = Channel.Sms, Batch = 0, Since = since, ThroughId = deliveryId,
            });
            return db.SaveChangesAsync();
        });
        return since;
    }

    private async Task<(Guid UpdateId, Guid DeliveryId)> QueuedSmsAsync()
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Playback errors", message = "Investigating.", impact = "major", notify = false });
        var updateId = Guid.Parse(incident["updates"]![0]!["id"]!.GetValue<string>());
        var incidentId = Guid.Parse(incident["id"]!.GetValue<string>());
        var delivery = new Core.Deliveries.Delivery
        {
            UpdateId = updateId, IncidentId = incidentId, SubscriberId = Guid.NewGuid(), Channel = Channel.Sms,
            Recipient = "+12025550173", Batch = 0, CreatedAt = DateTimeOffset.UtcNow,
        };
        await WithDbAsync(async db =>
        {
            db.Deliveries.Add(delivery);
            return await db.SaveChangesAsync();
        });
        return (updateId, delivery.Id);
    }
}
