using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Api.OperatorConsole.Incidents;

/// <summary>One channel of a fan-out: how many of its deliveries are settled (no longer queued) out of all of them.</summary>
public sealed record ChannelProgress(Channel Channel, int Done, int Total, IReadOnlyDictionary<DeliveryStatus, int> Statuses)
{
    public int Percent => Total == 0 ? 100 : (int)Math.Floor(100.0 * Done / Total);
}

/// <summary>
/// One update's sending, as its delivery report was last counted in the background (<see cref="DeliveryTallies"/>:
/// the same count as <c>GET /api/updates/{id}/report</c>, a few seconds old at most while it is sent), with its
/// newest failures.
/// </summary>
/// <param name="AwaitingPlan">A notifying update whose audience is not planned yet (<see cref="Core.Incidents.IncidentUpdate.PlannedAt"/>),
/// or not counted yet.</param>
public sealed record FanOut(Guid UpdateId, Guid IncidentId, string Title, UpdateReport Report, IReadOnlyList<ChannelProgress> Channels,
    IReadOnlyList<DeliveryView> Failures, bool AwaitingPlan)
{
    public int Queued => Channels.Sum(c => c.Total - c.Done);

    public bool InFlight => AwaitingPlan || Queued > 0;
}

/// <summary>What the console shows of sending: one update's report, and every fan-out still in flight.</summary>
public sealed class FanOuts(CommsHubDbContext db, DeliveryQueries deliveries, TimeProvider time)
{
    /// <summary>Failures listed on a report (the deliveries page lists them all).</summary>
    public const int FailuresShown = 5;

    /// <summary>Fan-outs listed on the home at most.</summary>
    public const int InFlightShown = 10;

    /// <summary>How long a finished fan-out stays on the home.</summary>
    public static readonly TimeSpan RecentlyFinished = TimeSpan.FromMinutes(15);

    /// <returns>The report, or null when the update does not exist.</returns>
    public async Task<FanOut?> ForUpdateAsync(Guid updateId, CancellationToken cancellationToken)
    {
        var update = await db.IncidentUpdates.AsNoTracking().Where(u => u.Id == updateId)
            .Select(u => new { u.Id, u.IncidentId, u.Notify, u.PlannedAt, u.CreatedAt, u.Tally, u.TalliedAt, Title = db.Incidents.Where(i => i.Id == u.IncidentId).Select(i => i.Title).First() })
            .FirstOrDefaultAsync(cancellationToken);
        if (update is null)
        {
            return null;
        }
        // Counted after it was planned, or it may be the count of a plan still being written.
        var counted = update.PlannedAt is { } planned && update.TalliedAt > planned;
        var report = (counted ? DeliveryTallies.Report(update.Id, update.CreatedAt, update.Tally) : null)
                     ?? new UpdateReport(update.Id, 0, new Dictionary<Channel, IReadOnlyDictionary<DeliveryStatus, int>>(), update.CreatedAt, null, null);
        var channels = report.Channels.OrderBy(c => c.Key).Select(c => new ChannelProgress(c.Key,
            c.Value.Where(s => s.Key != DeliveryStatus.Queued).Sum(s => s.Value), c.Value.Values.Sum(), c.Value)).ToList();
        var failures = report.Channels.Values.Any(s => s.ContainsKey(DeliveryStatus.Failed))
            ? (await deliveries.ListAsync(new DeliveryFilter(UpdateId: updateId, Status: DeliveryStatus.Failed, Limit: FailuresShown), cancellationToken)).Items
            : [];
        var awaitingPlan = update.Notify && !counted;
        return new FanOut(update.Id, update.IncidentId, update.Title, report, channels, failures, awaitingPlan);
    }

    /// <summary>
    /// Updates of the last week still being sent (as last counted, or not counted yet), and those published in
    /// the last <see cref="RecentlyFinished"/>: an operator who just published sees the sending end at 100 % rather
    /// than vanish. Read from the updates and their stored counts only, so the page costs the same during a
    /// fan-out of millions.
    /// </summary>
    public async Task<IReadOnlyList<FanOut>> CurrentAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var week = now - DeliveryTallies.Kept;
        var recentSince = now - RecentlyFinished;
        var updates = await db.IncidentUpdates.AsNoTracking().Where(u => u.Notify && u.CreatedAt >= week)
            .OrderByDescending(u => u.CreatedAt)
            .Select(u => new { u.Id, u.CreatedAt, u.PlannedAt, u.TalliedAt, u.Tally })
            .Take(500)
            .ToListAsync(cancellationToken);
        var shown = updates.Where(u => u.CreatedAt >= recentSince
                                       || !(u.PlannedAt is { } planned && u.TalliedAt > planned)
                                       || (DeliveryTallies.Report(u.Id, u.CreatedAt, u.Tally)?.Channels.Values.Any(c => c.GetValueOrDefault(DeliveryStatus.Queued) > 0) ?? true))
            .Select(u => u.Id).Take(InFlightShown).ToList();
        var result = new List<FanOut>();
        foreach (var id in shown)
        {
            if (await ForUpdateAsync(id, cancellationToken) is { } fanOut && (fanOut.InFlight || fanOut.Report.Audience > 0))
            {
                result.Add(fanOut);
            }
        }
        return result.OrderByDescending(f => f.InFlight).ThenByDescending(f => f.Report.PublishedAt).ToList();
    }
}
