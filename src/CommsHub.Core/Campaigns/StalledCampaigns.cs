using CommsHub.Contracts;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Campaigns;

/// <summary>
/// Campaigns left <c>sending</c> whose planner stopped: its send request was lost (an error queue, a virtual host with
/// no planner queue bound yet) and nothing else would ever finish the plan. A campaign counts as stalled when it
/// started sending (<see cref="Campaign.SendAt"/>) before <c>before</c> and its newest delivery is older too; the newest
/// is the highest id (ids grow with time), read from the (update, id) index, so this costs one index look-up per sending
/// campaign however large it is. Planning again keeps each member's code and delivery.
/// </summary>
public sealed class StalledCampaigns(CommsHubDbContext db) : IUnplannedWork
{
    public async Task<IReadOnlyList<Replan>> FindAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var sending = await db.Campaigns.AsNoTracking()
            .Where(c => c.Status == CampaignStatus.Sending && (c.SendAt ?? c.CreatedAt) < before)
            .OrderBy(c => c.CreatedAt)
            .Select(c => new { c.Id, Since = c.SendAt ?? c.CreatedAt })
            .Take(100)
            .ToListAsync(cancellationToken);
        var stalled = new List<Replan>();
        foreach (var campaign in sending)
        {
            var last = campaign.Since;
            var newest = await db.Deliveries.Where(d => d.UpdateId == campaign.Id)
                .OrderByDescending(d => d.Id).Select(d => (DateTimeOffset?)d.CreatedAt).FirstOrDefaultAsync(cancellationToken);
            if (newest > last)
            {
                last = newest.Value;
            }
            if (last < before)
            {
                stalled.Add(new Replan(campaign.Id, new CampaignSendRequested { CampaignId = campaign.Id }, "Campaign", last));
            }
        }
        return stalled;
    }
}
