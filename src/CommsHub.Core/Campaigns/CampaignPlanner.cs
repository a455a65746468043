using CommsHub.Contracts;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Campaigns;

/// <summary>
/// Turns a campaign being sent into deliveries, as <see cref="AudiencePlanner"/> does for an update: pages the audience
/// by member id, leaves out addresses that opted out of campaigns or are suppressed, gives each member of the page
/// a code (<see cref="CodeAssignment"/>), writes one delivery per member and channel under the unique (campaign,
/// member, channel) key and publishes one send command per provider request. Batch numbers follow from the page, so a
/// redelivered request plans the same batches again, and finds them planned.
/// </summary>
public sealed class CampaignPlanner(CommsHubDbContext db, IDeliveryWriter writer, CodeAssignment codes, AddressHasher hasher, TimeProvider time,
    ILogger<CampaignPlanner> logger) : IConsumer<CampaignSendRequested>
{
    public const int PageSize = 1000;
    private const int SmsPerBatch = 100;

    public async Task Consume(ConsumeContext<CampaignSendRequested> context)
    {
        var ct = context.CancellationToken;
        var campaign = await db.Campaigns.AsNoTracking().FirstOrDefaultAsync(c => c.Id == context.Message.CampaignId, ct);
        if (campaign is not { Status: CampaignStatus.Sending })
        {
            return; // cancelled, or planned already
        }
        var after = Guid.Empty;
        var page = 0;
        var planned = 0;
        while (true)
        {
            if (page > 0 && await db.Campaigns.AnyAsync(c => c.Id == campaign.Id && c.Status == CampaignStatus.Cancelled, ct))
            {
                logger.LogInformation("Campaign {CampaignId} cancelled after {Planned} deliveries were planned", campaign.Id, planned);
                return;
            }
            var members = await db.AudienceMembers.AsNoTracking().Where(m => m.AudienceId == campaign.AudienceId && m.Id > after)
                .OrderBy(m => m.Id).Take(PageSize).Select(m => new { m.Id, m.Email, m.Phone }).ToListAsync(ct);
            if (members.Count == 0)
            {
                break;
            }
            page++;
            after = members[^1].Id;
            var email = campaign.Channels.Contains(Channel.Email) ? members.Where(m => m.Email is not null).Select(m => new PlannedRecipient(m.Id, m.Email!)).ToList() : [];
            var sms = campaign.Channels.Contains(Channel.Sms) ? members.Where(m => m.Phone is not null).Select(m => new PlannedRecipient(m.Id, m.Phone!)).ToList() : [];
            email = await WithoutExcludedAsync(Channel.Email, email, ct);
            sms = await WithoutExcludedAsync(Channel.Sms, sms, ct);
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
        var at = time.GetUtcNow();
        await db.Campaigns.Where(c => c.Id == campaign.Id && c.Status == CampaignStatus.Sending)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CampaignStatus.Sent).SetProperty(c => c.SentAt, at), ct);
        logger.LogInformation("Campaign {CampaignId}: {Planned} deliveries planned", campaign.Id, planned);
    }

    private async Task<List<PlannedRecipient>> WithoutExcludedAsync(Channel channel, List<PlannedRecipient> recipients, CancellationToken ct)
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
