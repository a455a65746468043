using CommsHub.Contracts;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Campaigns;

/// <summary>
/// Turns a campaign being sent into deliveries, as <see cref="AudiencePlanner"/> does for an update: pages the audience
/// by member id, leaves out addresses that opted out of campaigns or are suppressed, gives each member of the page
/// a code (<see cref="CodeAssignment"/>), writes one delivery per member and channel under the unique (campaign,
/// member, channel) key and publishes one send command per provider request. Batch numbers follow from the page, so a
/// redelivered request plans the same batches again, and finds them planned.
/// </summary>
/// <remarks>
/// Pages are read in order here and planned by <see cref="Planners"/> planners side by side, each with its own scope
/// (database connection): a page's plan is several round trips, most of them waiting on the database, and one planner
/// at a time was the critical path of a large campaign while the database and the senders still had room. Codes stay
/// a database fact whatever the order pages are planned in (the pool's cursor is taken in turn).
/// </remarks>
public sealed class CampaignPlanner(CommsHubDbContext db, IServiceScopeFactory scopes, TimeProvider time, ILogger<CampaignPlanner> logger) : IConsumer<CampaignSendRequested>
{
    public const int PageSize = 1000;
    private const int SmsPerBatch = 100;

    /// <summary>How many pages of one campaign are planned at the same time on PostgreSQL (SQLite has one writer: one).</summary>
    public const int Planners = 2;

    private sealed record Member(Guid Id, string? Email, string? Phone);

    private sealed record Page(int Number, List<Member> Members);

    public async Task Consume(ConsumeContext<CampaignSendRequested> context)
    {
        var campaign = await db.Campaigns.AsNoTracking().FirstOrDefaultAsync(c => c.Id == context.Message.CampaignId, context.CancellationToken);
        if (campaign is not { Status: CampaignStatus.Sending })
        {
            return; // cancelled, or planned already
        }
        // A planner that fails stops the others and the reading: the message is retried, and planning again is safe.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var ct = stop.Token;
        var count = db.Provider == DatabaseProvider.PostgreSql ? Planners : 1;
        var pages = System.Threading.Channels.Channel.CreateBounded<Page>(new System.Threading.Channels.BoundedChannelOptions(count) { SingleWriter = true });
        var planners = Enumerable.Range(0, count).Select(_ => Task.Run(async () =>
        {
            try
            {
                return await PlanPagesAsync(campaign, pages.Reader, context, ct);
            }
            catch
            {
                await stop.CancelAsync();
                throw;
            }
        }, CancellationToken.None)).ToList();
        var cancelled = false;
        try
        {
            var after = Guid.Empty;
            var page = 0;
            while (true)
            {
                if (page > 0 && await db.Campaigns.AnyAsync(c => c.Id == campaign.Id && c.Status == CampaignStatus.Cancelled, ct))
                {
                    cancelled = true;
                    break;
                }
                var members = await db.AudienceMembers.AsNoTracking().Where(m => m.AudienceId == campaign.AudienceId && m.Id > after)
                    .OrderBy(m => m.Id).Take(PageSize).Select(m => new Member(m.Id, m.Email, m.Phone)).ToListAsync(ct);
                if (members.Count == 0)
                {
                    break;
                }
                page++;
                after = members[^1].Id;
                await pages.Writer.WriteAsync(new Page(page, members), ct);
            }
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            // A planner failed: its exception is the one to report, below.
        }
        catch
        {
            // Reading failed: the planners stop too, and are waited for, so none outlives this message (a retry plans again).
            await stop.CancelAsync();
            pages.Writer.TryComplete();
            try
            {
                await Task.WhenAll(planners);
            }
            catch (Exception)
            {
                // Stopped by the cancel above, or failed on their own: the reading's failure is reported.
            }
            throw;
        }
        finally
        {
            pages.Writer.TryComplete();
        }
        var planned = (await Task.WhenAll(planners)).Sum();
        if (cancelled)
        {
            logger.LogInformation("Campaign {CampaignId} cancelled after {Planned} deliveries were planned", campaign.Id, planned);
            return;
        }
        context.CancellationToken.ThrowIfCancellationRequested();
        var at = time.GetUtcNow();
        await db.Campaigns.Where(c => c.Id == campaign.Id && c.Status == CampaignStatus.Sending)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CampaignStatus.Sent).SetProperty(c => c.SentAt, at), context.CancellationToken);
        logger.LogInformation("Campaign {CampaignId}: {Planned} deliveries planned", campaign.Id, planned);
    }

    /// <summary>Plans the pages it takes, in a scope of its own; returns how many deliveries it wrote.</summary>
    private async Task<int> PlanPagesAsync(Campaign campaign, System.Threading.Channels.ChannelReader<Page> pages, ConsumeContext context, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<CommsHubDbContext>();
        var writer = services.GetRequiredService<IDeliveryWriter>();
        var codes = services.GetRequiredService<CodeAssignment>();
        var hasher = services.GetRequiredService<AddressHasher>();
        var planned = 0;
        await foreach (var (page, members) in pages.ReadAllAsync(ct))
        {
            var email = campaign.Channels.Contains(Channel.Email) ? members.Where(m => m.Email is not null).Select(m => new PlannedRecipient(m.Id, m.Email!)).ToList() : [];
            var sms = campaign.Channels.Contains(Channel.Sms) ? members.Where(m => m.Phone is not null).Select(m => new PlannedRecipient(m.Id, m.Phone!)).ToList() : [];
            email = await WithoutExcludedAsync(db, hasher, Channel.Email, email, ct);
            sms = await WithoutExcludedAsync(db, hasher, Channel.Sms, sms, ct);
            if (campaign.CodePoolId is { } poolId)
            {
                // Only those reached get a code; one left without (the pool emptied by another campaign meanwhile) is not sent to.
                var reached = email.Select(r => r.SubscriberId).Concat(sms.Select(r => r.SubscriberId)).Distinct().ToList();
                var coded = await codes.AssignAsync(campaign.Id, poolId, reached, ct);
                if (coded.Count < reached.Count)
                {
                    logger.LogWarning("Campaign {CampaignId}: the pool ran out; {Missing} members of page {Page} get no message", campaign.Id, reached.Count - coded.Count, page);
                }
                email = [.. email.Where(r => coded.Contains(r.SubscriberId))];
                sms = [.. sms.Where(r => coded.Contains(r.SubscriberId))];
            }
            var now = time.GetUtcNow();
            var incidentId = campaign.IncidentId ?? Guid.Empty;
            var commands = new List<object>();
            if (email.Count > 0)
            {
                await writer.InsertQueuedAsync(campaign.Id, incidentId, DeliveryKind.Campaign, Channel.Email, page, email, now, ct);
                commands.Add(DeliveryCommands.For(Channel.Email, campaign.Id, page)!);
            }
            var chunk = 0;
            foreach (var part in sms.Chunk(SmsPerBatch))
            {
                // Ten SMS batches per page at most (a page is 1,000): the batch number stays a function of the page.
                var batch = page * 10 + chunk++;
                await writer.InsertQueuedAsync(campaign.Id, incidentId, DeliveryKind.Campaign, Channel.Sms, batch, part, now, ct);
                commands.Add(DeliveryCommands.For(Channel.Sms, campaign.Id, batch)!);
            }
            foreach (var command in commands)
            {
                await context.Publish(command, command.GetType(), ct);
            }
            planned += email.Count + sms.Count;
        }
        return planned;
    }

    private static async Task<List<PlannedRecipient>> WithoutExcludedAsync(CommsHubDbContext db, AddressHasher hasher, Channel channel,
        List<PlannedRecipient> recipients, CancellationToken ct)
    {
        if (recipients.Count == 0)
        {
            return recipients;
        }
        var hashes = recipients.ToDictionary(r => r.SubscriberId, r => hasher.Hash(channel, r.Recipient));
        var list = hashes.Values.Distinct().ToList();
        var excluded = (await db.CampaignOptOuts.Where(o => o.Channel == channel && EF.Parameter(list).Contains(o.AddressHash)).Select(o => o.AddressHash).ToListAsync(ct))
            .Concat(await db.Suppressions.Where(s => s.Channel == channel && EF.Parameter(list).Contains(s.AddressHash)).Select(s => s.AddressHash).ToListAsync(ct))
            .ToHashSet();
        // A subscriber who unsubscribed from status notices by this address is not written to either.
        var addresses = recipients.Select(r => r.Recipient).Distinct().ToList();
        var unsubscribed = (await db.Subscribers.Where(s => s.Channel == channel && EF.Parameter(addresses).Contains(s.Address)
            && (s.Status == SubscriberStatus.Unsubscribed || s.Status == SubscriberStatus.Suppressed)).Select(s => s.Address).ToListAsync(ct)).ToHashSet();
        return [.. recipients.Where(r => !excluded.Contains(hashes[r.SubscriberId]) && !unsubscribed.Contains(r.Recipient))];
    }
}
