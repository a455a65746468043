using System.Diagnostics;
using System.Text.Json;
using CommsHub.Core.Campaigns;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// Counts each recent update's delivery report in the background and stores it on the update
/// (<see cref="Incidents.IncidentUpdate.Tally"/>), so the console reads a few bytes however large the
/// fan-out and however many operators watch it: counting a million deliveries takes seconds, and doing
/// it on every page load and every second of live progress would load the database most on the worst day.
/// The recurring <c>delivery-tallies</c> job calls <see cref="RefreshAsync"/> every 2 seconds; an update
/// of the last hour with deliveries still queued is counted again every 2 seconds (or ten times as long
/// as its last count took, for the largest), any other of the last week every 5 minutes (only provider
/// callbacks change it then), and an older one keeps its last count.
/// <c>GET /api/updates/{id}/report</c> still counts live.
/// Campaigns are counted the same way, in the same run, into <see cref="Campaign.Tally"/> (<see cref="CampaignTally"/>):
/// one scheduled, being sent, or sent or cancelled in the last week; a redemption has the next run count it again.
/// </summary>
public sealed class DeliveryTallies(CommsHubDbContext db, DeliveryQueries queries, CampaignTally campaigns, TimeProvider time, ILogger<DeliveryTallies> logger)
{
    public static readonly TimeSpan Fresh = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan Recent = TimeSpan.FromHours(1);
    public static readonly TimeSpan Kept = TimeSpan.FromDays(7);
    public static readonly TimeSpan Settled = TimeSpan.FromMinutes(5);

    /// <summary>How long one run may count before it leaves the rest to the next.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(10);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <returns>How many updates and campaigns were counted.</returns>
    public async Task<int> RefreshAsync(CancellationToken cancellationToken)
    {
        var run = Stopwatch.StartNew();
        var counted = await RefreshUpdatesAsync(run, cancellationToken);
        return counted + await RefreshCampaignsAsync(run, cancellationToken);
    }

    /// <summary>
    /// Every few seconds while it is being sent (the largest no more than a tenth of the time), every few minutes once
    /// it is settled or older than <see cref="Recent"/>. A million-recipient send's count reads every one of its rows
    /// (0.6–0.8 s of SQL for a campaign's three counts), while the send itself needs all of the database: even at a
    /// tenth, its 13 counts were 10 s of a 113 s send's SQL (docs/benchmarks.md, "A million in about 70 seconds").
    /// </summary>
    private static TimeSpan Interval(bool sending, DateTimeOffset now, DateTimeOffset started, long tookMs) =>
        sending && now - started < Recent ? TimeSpan.FromTicks(Math.Max(Fresh.Ticks, 10 * tookMs * TimeSpan.TicksPerMillisecond)) : Settled;

    /// <summary>
    /// The loop both kinds share: in the candidates' order until the run's <see cref="Budget"/> is spent, each one whose
    /// last count is older than its <see cref="Interval"/> is counted (<paramref name="countAsync"/> says whether it was).
    /// </summary>
    private static async Task<int> CountDueAsync<T>(IReadOnlyList<T> candidates, Stopwatch run, DateTimeOffset now,
        Func<T, (DateTimeOffset? TalliedAt, TimeSpan Interval)> due, Func<T, Task<bool>> countAsync)
    {
        var counted = 0;
        foreach (var candidate in candidates)
        {
            if (run.Elapsed > Budget)
            {
                break;
            }
            var (talliedAt, interval) = due(candidate);
            if (talliedAt is { } at && now - at < interval)
            {
                continue;
            }
            if (await countAsync(candidate))
            {
                counted++;
            }
        }
        return counted;
    }

    private async Task<int> RefreshUpdatesAsync(Stopwatch run, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var since = now - Kept;
        var fresh = now - Fresh;
        var candidates = await db.IncidentUpdates.AsNoTracking()
            .Where(u => u.Notify && u.CreatedAt > since && (u.TalliedAt == null || u.TalliedAt < fresh))
            .OrderByDescending(u => u.CreatedAt)
            .Select(u => new { u.Id, u.CreatedAt, u.PlannedAt, u.TalliedAt, u.Tally })
            .Take(500)
            .ToListAsync(cancellationToken);
        return await CountDueAsync(candidates, run, now, update =>
        {
            // While deliveries are queued (or it was never counted, or only before its audience was planned), every
            // few seconds; once nothing is queued only provider callbacks change it, so every few minutes; and nothing
            // for an update older than an hour with nothing queued beyond that. The largest are counted no more than
            // a tenth of the time. A count taken before the plan (an empty report) is not a settled one.
            var last = Read(update.Tally);
            var countedAfterPlan = update.PlannedAt is { } planned && update.TalliedAt > planned;
            var sending = last is null || !countedAfterPlan || last.Channels.Values.Any(c => c.GetValueOrDefault("queued") > 0);
            return (update.TalliedAt, Interval(sending, now, update.CreatedAt, last?.TookMs ?? 0));
        }, async update =>
        {
            var watch = Stopwatch.StartNew();
            if (await queries.ReportAsync(update.Id, cancellationToken) is not { } report)
            {
                return false;
            }
            var tally = JsonSerializer.Serialize(Stored.From(report, watch.ElapsedMilliseconds), Json);
            var countedAt = time.GetUtcNow();
            await db.IncidentUpdates.Where(u => u.Id == update.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.Tally, tally).SetProperty(u => u.TalliedAt, countedAt), cancellationToken);
            if (watch.Elapsed > TimeSpan.FromSeconds(1))
            {
                logger.LogInformation("Counted the {Audience} deliveries of update {UpdateId} in {Ms} ms", report.Audience, update.Id, watch.ElapsedMilliseconds);
            }
            return true;
        });
    }

    private async Task<int> RefreshCampaignsAsync(Stopwatch run, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var since = now - Kept;
        var fresh = now - Fresh;
        // Never counted (or not since a redemption) whatever its age; otherwise while it may still change.
        var candidates = await db.Campaigns.AsNoTracking()
            .Where(c => c.Status != CampaignStatus.Draft && (c.TalliedAt == null || (c.TalliedAt < fresh
                && (c.Status == CampaignStatus.Scheduled || c.Status == CampaignStatus.Sending || c.SentAt > since || c.CancelledAt > since))))
            .OrderByDescending(c => c.CreatedAt)
            .Select(c => new { c.Id, c.Status, c.CreatedAt, c.SendAt, c.SentAt, c.CancelledAt, c.TalliedAt, c.Tally })
            .Take(500)
            .ToListAsync(cancellationToken);
        return await CountDueAsync(candidates, run, now, campaign =>
        {
            // A count from before it was sent or cancelled may be of a plan still being written, or of deliveries
            // the cancel was about to withdraw: not a settled one. A scheduled campaign changes only when it starts.
            var last = CampaignTally.Read(campaign.Id, campaign.Tally);
            var changedAt = campaign.CancelledAt ?? campaign.SentAt;
            var sending = campaign.Status == CampaignStatus.Sending || last is null
                          || (changedAt is { } changed && last.CountedAt <= changed) || last.Queued > 0;
            return (campaign.TalliedAt, Interval(sending, now, campaign.SendAt ?? campaign.CreatedAt, CampaignTally.TookMs(campaign.Tally)));
        }, async campaign =>
        {
            // Claimed before counting: a redemption during the count clears TalliedAt, this count's write then misses,
            // and the next run counts again. The count is stamped with when it began, so nothing that happened during
            // it is taken as counted.
            var began = time.GetUtcNow();
            var previous = campaign.TalliedAt;
            if (await db.Campaigns.Where(c => c.Id == campaign.Id && c.TalliedAt == previous)
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.TalliedAt, began), cancellationToken) == 0)
            {
                return false;
            }
            var watch = Stopwatch.StartNew();
            if (await campaigns.CountAsync(campaign.Id, began, cancellationToken) is not { } counts)
            {
                return false;
            }
            var tally = CampaignTally.Write(counts, watch.ElapsedMilliseconds);
            await db.Campaigns.Where(c => c.Id == campaign.Id && c.TalliedAt == began)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Tally, tally), cancellationToken);
            if (watch.Elapsed > TimeSpan.FromSeconds(1))
            {
                logger.LogInformation("Counted the report of campaign {CampaignId} ({Audience} members) in {Ms} ms", campaign.Id, counts.Report.Audience, watch.ElapsedMilliseconds);
            }
            return true;
        });
    }

    /// <summary>The report as last counted, or null when it has not been yet.</summary>
    public static UpdateReport? Report(Guid updateId, DateTimeOffset publishedAt, string? tally) =>
        Read(tally) is { } stored
            ? new UpdateReport(updateId, stored.Audience,
                stored.Channels.ToDictionary(c => Wire.Parse<Channel>(c.Key),
                    c => (IReadOnlyDictionary<DeliveryStatus, int>)c.Value.ToDictionary(s => Wire.Parse<DeliveryStatus>(s.Key), s => s.Value)),
                publishedAt, stored.FirstSentAt, stored.LastSentAt)
            : null;

    private static Stored? Read(string? tally)
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

    private sealed record Stored(int Audience, Dictionary<string, Dictionary<string, int>> Channels, DateTimeOffset? FirstSentAt, DateTimeOffset? LastSentAt,
        long TookMs)
    {
        public static Stored From(UpdateReport report, long tookMs) => new(report.Audience,
            report.Channels.ToDictionary(c => c.Key.ToWire(), c => c.Value.ToDictionary(s => s.Key.ToWire(), s => s.Value)),
            report.FirstSentAt, report.LastSentAt, tookMs);
    }
}
