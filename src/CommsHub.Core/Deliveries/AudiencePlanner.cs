using CommsHub.Contracts;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Incidents;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// Turns a published update into deliveries: pages the confirmed audience by keyset, writes each
/// page's deliveries in one statement under the unique (update, subscriber, channel) key, and
/// emits one send command per provider request. A redelivered event re-plans harmlessly: existing
/// deliveries are kept, and the send commands find nothing left to send. The update is marked
/// planned (<see cref="IncidentUpdate.PlannedAt"/>) once every channel is, so an event lost before
/// that is published again by the redrive.
/// </summary>
public sealed class AudiencePlanner(
    CommsHubDbContext db,
    IDeliveryWriter writer,
    Accounts accounts,
    IOptions<EmailOptions> emailOptions,
    TimeProvider time,
    ILogger<AudiencePlanner> logger) : IConsumer<IncidentUpdatePublished>
{
    private const int PagesPerCommit = 5;

    public async Task Consume(ConsumeContext<IncidentUpdatePublished> context)
    {
        var ct = context.CancellationToken;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var update = await db.IncidentUpdates.AsNoTracking().FirstOrDefaultAsync(u => u.Id == context.Message.UpdateId, ct);
        if (update is null)
        {
            // The event is written in the same transaction as the update, so this means the update was erased.
            logger.LogWarning("Update {UpdateId} no longer exists; nothing to plan", context.Message.UpdateId);
            return;
        }
        if (!update.Notify)
        {
            await MarkPlannedAsync(update.Id, context.CancellationToken);
            return;
        }

        var kind = await db.Incidents.AsNoTracking().Where(i => i.Id == update.IncidentId).Select(i => i.Kind).FirstOrDefaultAsync(ct) == IncidentKind.Maintenance
            ? DeliveryKind.Maintenance
            : DeliveryKind.IncidentUpdate;
        var componentIds = await db.Set<IncidentComponent>().AsNoTracking()
            .Where(c => c.IncidentId == update.IncidentId)
            .Select(c => c.ComponentId)
            .ToListAsync(ct);

        foreach (var (channel, pageSize, firstPages) in SubscriberChannels())
        {
            if (!Reaches(update, channel))
            {
                continue;
            }
            var planned = await PlanAsync(context, update, kind, channel, componentIds, pageSize, firstPages);
            if (planned > 0)
            {
                logger.LogInformation("Planned {Count} {Channel} deliveries for update {UpdateId}", planned, channel.ToWire(), update.Id);
            }
        }
        foreach (var channel in new[] { Channel.Social, Channel.Chat }.Where(c => Reaches(update, c)))
        {
            await PlanAccountsAsync(context, update, kind, channel);
        }
        // Only now: a process lost mid-plan leaves the update unplanned, and the redrive plans it again.
        await MarkPlannedAsync(update.Id, ct);
        Telemetry.CommsHubMetrics.FanoutPlanned(System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }

    private Task<int> MarkPlannedAsync(Guid updateId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        return db.IncidentUpdates.Where(u => u.Id == updateId && u.PlannedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.PlannedAt, now), ct);
    }

    /// <summary>One delivery and one send command per configured account of a channel.</summary>
    private async Task PlanAccountsAsync(ConsumeContext context, IncidentUpdate update, DeliveryKind kind, Channel channel)
    {
        foreach (var account in accounts.Configured(channel))
        {
            await writer.InsertQueuedAsync(update.Id, update.IncidentId, kind, channel, account.Batch,
                [new PlannedRecipient(account.Id, account.Label)], time.GetUtcNow(), context.CancellationToken);
            var command = DeliveryCommands.For(channel, update.Id, account.Batch)!;
            await context.Publish(command, command.GetType(), context.CancellationToken);
        }
    }

    /// <summary>Channels whose audience is subscribers, and how many recipients one send command carries.</summary>
    /// <remarks>
    /// Webhooks go in batches of 500 (fewer claims, reads and records per 1,000), after eight of 100: a worker sends
    /// eight webhook batches at once, so an audience of a few hundred slow endpoints is still posted 128 at a time.
    /// </remarks>
    private IEnumerable<(Channel Channel, int PageSize, (int Count, int Size) FirstPages)> SubscriberChannels()
    {
        // The rate-limited channels first: SMS goes out at a fixed pace, so it should not wait
        // behind a large email audience being planned.
        yield return (Channel.Sms, 100, (0, 0));                             // one Twilio request each; a bounded chunk
        yield return (Channel.Webhook, 500, (8, 100));                       // one POST each, 16 in parallel
        yield return (Channel.Email, emailOptions.Value.BatchSize, (0, 0)); // one SendGrid request
    }

    private static bool Reaches(IncidentUpdate update, Channel channel) => update.Channels.Count == 0 || update.Channels.Contains(channel);

    private async Task<int> PlanAsync(ConsumeContext context, IncidentUpdate update, DeliveryKind kind, Channel channel, List<Guid> componentIds, int pageSize,
        (int Count, int Size) firstPages)
    {
        var after = Guid.Empty;
        var batch = 0;
        var planned = 0;
        // The first page goes out on its own, so sending starts at once; after that several pages share
        // one commit (PostgreSQL), keeping the fan-out's commits well under one per 1,000 recipients.
        var pagesPerCommit = 1;
        while (true)
        {
            var commands = new List<object>();
            await using (var tx = db.Provider == DatabaseProvider.PostgreSql ? await db.Database.BeginTransactionAsync(context.CancellationToken) : null)
            {
                for (var i = 0; i < pagesPerCommit; i++)
                {
                    var size = batch < firstPages.Count ? firstPages.Size : pageSize;
                    var page = await Audience(db, channel, componentIds)
                        .Where(s => s.Id > after)
                        .OrderBy(s => s.Id)
                        .Take(size)
                        .Select(s => new PlannedRecipient(s.Id, s.Address))
                        .ToListAsync(context.CancellationToken);
                    if (page.Count == 0)
                    {
                        break;
                    }
                    batch++;
                    planned += page.Count;
                    await writer.InsertQueuedAsync(update.Id, update.IncidentId, kind, channel, batch, page, time.GetUtcNow(), context.CancellationToken);
                    commands.Add(DeliveryCommands.For(channel, update.Id, batch)!);
                    after = page[^1].SubscriberId;
                    if (page.Count < size)
                    {
                        break;
                    }
                }
                if (tx is not null)
                {
                    await tx.CommitAsync(context.CancellationToken);
                }
            }
            foreach (var command in commands)
            {
                await context.Publish(command, command.GetType(), context.CancellationToken);
            }
            if (commands.Count < pagesPerCommit)
            {
                return planned;
            }
            pagesPerCommit = PagesPerCommit;
        }
    }

    /// <summary>
    /// Confirmed subscribers of the channel. One who chose components hears of an incident only
    /// when it touches one of them; one who chose none hears of everything. Public so a preview
    /// counts the audience by the same rule the fan-out pages it by.
    /// </summary>
    public static IQueryable<Subscribers.Subscriber> Audience(CommsHubDbContext db, Channel channel, List<Guid> componentIds) =>
        db.Subscribers.AsNoTracking()
            .Where(s => s.Channel == channel && s.Status == SubscriberStatus.Confirmed)
            .Where(s => !s.Components.Any() || s.Components.Any(c => componentIds.Contains(c.ComponentId)));
}
