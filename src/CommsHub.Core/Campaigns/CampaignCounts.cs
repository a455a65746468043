namespace CommsHub.Core.Campaigns;

/// <summary>
/// A campaign's report as counted at <paramref name="CountedAt"/>, with its pool's free codes then (null without a pool).
/// </summary>
public sealed record CampaignCounts(CampaignReport Report, int? FreeCodes, DateTimeOffset CountedAt)
{
    /// <summary>Deliveries still queued, over every channel.</summary>
    public int Queued => Report.Channels.Values.Sum(c => c.GetValueOrDefault("queued"));
}
