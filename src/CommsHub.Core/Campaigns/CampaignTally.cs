using System.Text.Json;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Campaigns;

/// <summary>
/// A campaign's report kept on the campaign (<see cref="Campaign.Tally"/>, claimed by <see cref="Campaign.TalliedAt"/>): counted by <see cref="Deliveries.DeliveryTallies"/>
/// in the background with <see cref="CampaignService.ReportAsync"/> (the count of <c>GET /api/campaigns/{id}/report</c>, so the
/// figures are the same), read here by the console's live page, which then costs a read by key however large the campaign.
/// </summary>
public sealed class CampaignTally(CommsHubDbContext db, CampaignService campaigns)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Counts the campaign now (every delivery, code and redemption of it), and its pool's free codes.</summary>
    public async Task<CampaignCounts?> CountAsync(Guid id, DateTimeOffset countedAt, CancellationToken cancellationToken)
    {
        if (await campaigns.ReportAsync(id, cancellationToken) is not { } report)
        {
            return null;
        }
        var poolId = await db.Campaigns.Where(c => c.Id == id).Select(c => c.CodePoolId).FirstOrDefaultAsync(cancellationToken);
        int? free = poolId is { } pool ? (await db.CodePools.AsNoTracking().FirstOrDefaultAsync(p => p.Id == pool, cancellationToken))?.Free : null;
        return new CampaignCounts(report, free, countedAt);
    }

    public static string Write(CampaignCounts counts, long tookMs) =>
        JsonSerializer.Serialize(new Stored(counts.Report.Audience, counts.Report.CodesAssigned, counts.Report.Redeemed,
            counts.Report.Channels.ToDictionary(c => c.Key, c => c.Value.ToDictionary(s => s.Key, s => s.Value)), counts.FreeCodes, counts.CountedAt, tookMs), Json);

    /// <summary>The counts as last stored, or null when the campaign was never counted.</summary>
    public static CampaignCounts? Read(Guid id, string? tally) =>
        Parse(tally) is { } stored
            ? new CampaignCounts(new CampaignReport(id, stored.Audience, stored.CodesAssigned, stored.Redeemed,
                stored.Channels.ToDictionary(c => c.Key, c => (IReadOnlyDictionary<string, int>)c.Value)), stored.FreeCodes, stored.CountedAt)
            : null;

    /// <summary>How long the last count took, which spaces out the counts of the largest campaigns.</summary>
    public static long TookMs(string? tally) => Parse(tally)?.TookMs ?? 0;

    private static Stored? Parse(string? tally)
    {
        if (string.IsNullOrEmpty(tally))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<Stored>(tally, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record Stored(int Audience, int CodesAssigned, int Redeemed, Dictionary<string, Dictionary<string, int>> Channels, int? FreeCodes,
        DateTimeOffset CountedAt, long TookMs);
}
