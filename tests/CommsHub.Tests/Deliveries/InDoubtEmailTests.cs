using CommsHub.Contracts;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Deliveries;

/// <summary>
/// An email batch whose sender died after its SendGrid request left is looked up in SendGrid's Email Activity API
/// (by the batch key the request carried in custom_args) before it is sent again, when Channels:Email:SendGrid:ActivityApi
/// is on; with it off, it is sent again, as before. The kill is simulated by writing the state it leaves.
/// </summary>
public abstract class InDoubtEmailTests(bool activityApi) : SqliteAppTest, IDisposable
{
    protected SendGridFake SendGrid { get; } = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Email:SendGrid:ApiKey"] = "SG.test-key",
        ["Channels:Email:SendGrid:BaseUrl"] = SendGrid.Url,
        ["Channels:Email:From"] = "Acme Status <status@acme.example>",
        ["Channels:Email:SendGrid:ActivityApi"] = activityApi ? "true" : "false",
        [SendConsumerCalls.NoScheduledRedrive.Key] = SendConsumerCalls.NoScheduledRedrive.Value,
    };

    public void Dispose()
    {
        SendGrid.Dispose();
        GC.SuppressFinalize(this);
    }

    protected async Task ConsumeAsync(Guid updateId)
    {
        await using var scope = App.Services.CreateAsyncScope();
        var consumer = ActivatorUtilities.CreateInstance<SendConsumer<SendEmailBatch, EmailAdapter>>(scope.ServiceProvider);
        await consumer.Consume(MessageContexts.Create(new SendEmailBatch { UpdateId = updateId, Batch = 0 }, CancellationToken.None));
    }

    /// <summary>
    /// What a SIGKILL after the request left: queued, still marked in flight at the moment the request's key names,
    /// under a lease that has since expired. The mark is read back from the key the accepted request carried.
    /// </summary>
    protected async Task LeaveInDoubtAsync(Guid updateId, DateTimeOffset markedAt)
    {
        var token = Guid.NewGuid();
        // A sender that died before its record: its deliveries' earlier outcome (a first send in the test) is undone.
        var ids = await WithDbAsync(db => db.Deliveries.Where(d => d.UpdateId == updateId).Select(d => d.Id).ToListAsync());
        await WithDbAsync(db => db.Deliveries.Where(d => d.UpdateId == updateId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, DeliveryStatus.Queued)
                .SetProperty(d => d.ProviderMessageId, (string?)null)
                .SetProperty(d => d.SentAt, (DateTimeOffset?)null)
                .SetProperty(d => d.LeaseToken, token)
                .SetProperty(d => d.LeaseUntil, DateTimeOffset.UtcNow.AddSeconds(-1))));
        // One request for the whole batch: its mark covers every delivery of the lease.
        await WithDbAsync(db =>
        {
            db.InFlightMarks.Add(new InFlightMark
            {
                LeaseToken = token, UpdateId = updateId, Channel = Channel.Email, Batch = 0, Since = markedAt,
                ThroughId = ids.Max(Comparer<Guid>.Create(DeliveryLeases.CompareIds)),
            });
            return db.SaveChangesAsync();
        });
    }

    protected static DateTimeOffset MarkOf(SentMail mail)
    {
        var key = mail.Body["custom_args"]!["batch_key"]!.GetValue<string>();
        return DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(key[(key.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    protected async Task<Guid> QueuedEmailsAsync(params string[] recipients)
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Playback errors", message = "Investigating.", impact = "major", notify = false });
        var updateId = Guid.Parse(incident["updates"]![0]!["id"]!.GetValue<string>());
        var incidentId = Guid.Parse(incident["id"]!.GetValue<string>());
        await WithDbAsync(async db =>
        {
            foreach (var recipient in recipients)
            {
                db.Deliveries.Add(new Core.Deliveries.Delivery
                {
                    UpdateId = updateId, IncidentId = incidentId, SubscriberId = Guid.NewGuid(), Channel = Channel.Email,
                    Recipient = recipient, Batch = 0, CreatedAt = DateTimeOffset.UtcNow,
                });
            }
            return await db.SaveChangesAsync();
        });
        return updateId;
    }

    protected Task<List<Core.Deliveries.Delivery>> DeliveriesAsync(Guid updateId) =>
        WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.UpdateId == updateId).ToListAsync());
}

public sealed class InDoubtEmailWithActivityTests() : InDoubtEmailTests(activityApi: true)
{
    [Fact]
    public async Task A_batch_in_doubt_that_SendGrid_accepted_is_recorded_sent_without_a_second_request()
    {
        var updateId = await QueuedEmailsAsync("ann@example.com", "bob@example.com");
        await ConsumeAsync(updateId);
        var first = Assert.Single(SendGrid.Accepted);
        Assert.NotNull(first.Body["custom_args"]?["batch_key"]);
        await LeaveInDoubtAsync(updateId, MarkOf(first));

        await ConsumeAsync(updateId);

        Assert.Single(SendGrid.Requests);
        Assert.Equal(1, SendGrid.Lookups);
        Assert.All(await DeliveriesAsync(updateId), d =>
        {
            Assert.Equal(DeliveryStatus.Sent, d.Status);
            Assert.Equal(first.MessageId, d.ProviderMessageId);
            Assert.Null(d.LeaseToken);
        });
        Assert.False(await WithDbAsync(db => db.InFlightMarks.AnyAsync()));
    }

    [Fact]
    public async Task A_batch_sent_again_after_a_crash_is_found_by_its_own_key_should_its_sender_die_too()
    {
        var updateId = await QueuedEmailsAsync("ann@example.com", "bob@example.com");
        // The first sender's request never reached SendGrid.
        await LeaveInDoubtAsync(updateId, InFlightMarks.Truncate(DateTimeOffset.UtcNow.AddSeconds(-5)));
        InFlightMark? onTheWire = null;
        SendGrid.DelayFor = _ =>
        {
            // What a crash at this moment would leave: the mark that is stored while the request is on the wire.
            onTheWire = WithDbAsync(db => db.InFlightMarks.AsNoTracking().SingleOrDefaultAsync()).GetAwaiter().GetResult();
            return TimeSpan.Zero;
        };

        await ConsumeAsync(updateId);

        var second = Assert.Single(SendGrid.Accepted);
        Assert.Equal(1, SendGrid.Lookups);
        // The mark says the time the request is keyed by, not the first sender's: a look-up after a second death finds it.
        Assert.NotNull(onTheWire);
        Assert.Equal(MarkOf(second), onTheWire.Since);

        SendGrid.DelayFor = _ => TimeSpan.Zero;
        await LeaveInDoubtAsync(updateId, onTheWire.Since);
        await ConsumeAsync(updateId);

        Assert.Equal(2, SendGrid.Lookups);
        Assert.Single(SendGrid.Accepted);
        Assert.All(await DeliveriesAsync(updateId), d =>
        {
            Assert.Equal(DeliveryStatus.Sent, d.Status);
            Assert.Equal(second.MessageId, d.ProviderMessageId);
        });
    }

    [Fact]
    public async Task A_batch_in_doubt_that_SendGrid_never_received_is_sent_once()
    {
        var updateId = await QueuedEmailsAsync("ann@example.com");
        await LeaveInDoubtAsync(updateId, DateTimeOffset.UtcNow.AddSeconds(-5));

        await ConsumeAsync(updateId);

        Assert.Equal(1, SendGrid.Lookups);
        var sent = Assert.Single(SendGrid.Accepted);
        var delivery = Assert.Single(await DeliveriesAsync(updateId));
        Assert.Equal(DeliveryStatus.Sent, delivery.Status);
        Assert.Equal(sent.MessageId, delivery.ProviderMessageId);
        Assert.False(await WithDbAsync(db => db.InFlightMarks.AnyAsync()));
    }
}

public sealed class InDoubtEmailWithoutActivityTests() : InDoubtEmailTests(activityApi: false)
{
    [Fact]
    public async Task Without_the_activity_look_up_a_batch_in_doubt_is_sent_again()
    {
        var updateId = await QueuedEmailsAsync("ann@example.com");
        await ConsumeAsync(updateId);
        var first = Assert.Single(SendGrid.Accepted);
        await LeaveInDoubtAsync(updateId, MarkOf(first));

        await ConsumeAsync(updateId);

        Assert.Equal(0, SendGrid.Lookups);
        Assert.Equal(2, SendGrid.Accepted.Count);
        var delivery = Assert.Single(await DeliveriesAsync(updateId));
        Assert.Equal(DeliveryStatus.Sent, delivery.Status);
        Assert.Equal(SendGrid.Accepted[1].MessageId, delivery.ProviderMessageId);
    }
}
