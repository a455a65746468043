using CommsHub.Api.OperatorConsole.Incidents;
using CommsHub.Core.Campaigns;
using CommsHub.Core.Common;

namespace CommsHub.Api.OperatorConsole.Pages.Campaigns;

/// <summary>
/// A campaign's report (<see cref="CampaignService.ReportAsync"/>, the figures of <c>GET /api/campaigns/{id}/report</c>)
/// as the console draws it: one progress bar per channel, as an update's, and whether it is still worth watching.
/// </summary>
public sealed record CampaignProgress(CampaignStatus Status, CampaignReport Report, IReadOnlyList<ChannelProgress> Channels)
{
    public int Queued => Channels.Sum(c => c.Total - c.Done);

    /// <summary>
    /// While it is scheduled or being planned, or a delivery is still queued: the page keeps refreshing. A draft, a
    /// cancelled campaign and a sent one with nothing queued change only by a provider's late callback.
    /// </summary>
    public bool Live => Status is CampaignStatus.Scheduled or CampaignStatus.Sending || (Status == CampaignStatus.Sent && Queued > 0);

    public static CampaignProgress From(CampaignStatus status, CampaignReport report)
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
        return new CampaignProgress(status, report, channels.OrderBy(c => c.Channel).ToList());
    }
}
