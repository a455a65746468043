using CommsHub.Api.OperatorConsole.Incidents;
using CommsHub.Core.Campaigns;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Api.OperatorConsole.Pages.Campaigns;

/// <summary>
/// A campaign's report as last counted in the background (<see cref="CampaignTally"/>: the figures of
/// <c>GET /api/campaigns/{id}/report</c>, a few seconds old at most while it is sent) as the console draws it: one
/// progress bar per channel, as an update's, and whether it is still worth watching. Reading it costs a read by key,
/// so a page that polls it every second costs the same for three members or a million.
/// </summary>
/// <param name="Counted">Counted since it was last sent or cancelled (a draft has nothing to count).</param>
/// <param name="FreeCodes">Its pool's free codes when last counted; null without a pool or before a count.</param>
public sealed record CampaignProgress(CampaignStatus Status, CampaignReport Report, IReadOnlyList<ChannelProgress> Channels, bool Counted, int? FreeCodes)
{
    public int Queued => Channels.Sum(c => c.Total - c.Done);

    /// <summary>
    /// While it is scheduled or being planned, not yet counted since it was sent or cancelled, or a delivery is still
    /// queued: the page keeps refreshing. A draft, a cancelled campaign and a sent one with nothing queued change only
    /// by a provider's late callback or a redemption.
    /// </summary>
    public bool Live => Status is CampaignStatus.Scheduled or CampaignStatus.Sending || !Counted || (Status == CampaignStatus.Sent && Queued > 0);

    /// <returns>Null when there is no such campaign.</returns>
    public static async Task<CampaignProgress?> LoadAsync(CommsHubDbContext db, Guid id, CancellationToken cancellationToken)
    {
        var row = await db.Campaigns.AsNoTracking().Where(c => c.Id == id)
            .Select(c => new { c.Status, c.SentAt, c.CancelledAt, c.Tally, Audience = db.Audiences.Where(a => a.Id == c.AudienceId).Select(a => a.Count).FirstOrDefault() })
            .FirstOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            return null;
        }
        var counts = CampaignTally.Read(id, row.Tally);
        var changedAt = row.CancelledAt ?? row.SentAt;
        var counted = row.Status == CampaignStatus.Draft || (counts is not null && (changedAt is not { } changed || counts.CountedAt > changed));
        // Before its first count: nothing assigned or sent yet as far as the page can tell, and it keeps watching.
        var report = counts?.Report ?? new CampaignReport(id, row.Audience, 0, 0, new Dictionary<string, IReadOnlyDictionary<string, int>>());
        return From(row.Status, report, counted, counts?.FreeCodes);
    }

    public static CampaignProgress From(CampaignStatus status, CampaignReport report, bool counted, int? freeCodes)
    {
        var channels = new List<ChannelProgress>();
        foreach (var (name, statuses) in report.Channels)
        {
            if (!Wire.TryParse<Channel>(name, out var channel))
            {
                continue;
            }
            var counts = new Dictionary<DeliveryStatus, int>();
            foreach (var (statusName, count) in statuses)
            {
                if (Wire.TryParse<DeliveryStatus>(statusName, out var deliveryStatus))
                {
                    counts[deliveryStatus] = count;
                }
            }
            channels.Add(new ChannelProgress(channel, counts.Where(c => c.Key != DeliveryStatus.Queued).Sum(c => c.Value), counts.Values.Sum(), counts));
        }
        return new CampaignProgress(status, report, channels.OrderBy(c => c.Channel).ToList(), counted, freeCodes);
    }
}
