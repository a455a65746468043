using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.StatusPage;

/// <summary>One closed day of a component's uptime, in the page's time zone: what the 90-day bar shows for that day.</summary>
public sealed class ComponentUptimeDay
{
    public Guid ComponentId { get; init; }
    public DateOnly Day { get; init; }
    public double Operational { get; init; }
    public ComponentStatus Worst { get; init; }
}

/// <summary>
/// Stores each component's closed days once (the recurring <c>uptime-rollup</c> job), so building
/// the status page reads 90 small rows per component and only today's status changes, however long
/// the history grows.
/// </summary>
public sealed class UptimeRollup(CommsHubDbContext db, IOptions<StatusPageOptions> options, TimeProvider time)
{
    /// <returns>How many days were stored.</returns>
    public async Task<int> RollUpAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var zone = TimeZoneInfo.FindSystemTimeZoneById(options.Value.TimeZone);
        var today = UptimeDays.Today(now, zone);
        var first = UptimeDays.First(today);
        // Days that left the window are never shown again.
        await db.Set<ComponentUptimeDay>().Where(d => d.Day < first).ExecuteDeleteAsync(cancellationToken);

        var components = await db.Components.AsNoTracking().ToListAsync(cancellationToken);
        var done = (await db.Set<ComponentUptimeDay>().AsNoTracking()
                .Where(d => d.Day >= first)
                .Select(d => new { d.ComponentId, d.Day }).ToListAsync(cancellationToken))
            .Select(d => (d.ComponentId, d.Day)).ToHashSet();
        var missing = components
            .SelectMany(c => UptimeDays.Window(today)
                .Where(d => d < today && UptimeDays.Shown(d, c.CreatedAt, now, zone) && !done.Contains((c.Id, d)))
                .Select(d => (Component: c, Day: d)))
            .ToList();
        if (missing.Count == 0)
        {
            return 0;
        }

        // The history from the earliest day still to store on, not all of it: normally yesterday only.
        var history = await UptimeDays.HistoryAsync(db, [.. missing.Select(m => m.Component.Id).Distinct()],
            UptimeDays.Start(missing.Min(m => m.Day), zone), cancellationToken);
        foreach (var (component, day) in missing)
        {
            var uptime = UptimeDays.Day(history.GetValueOrDefault(component.Id) ?? [], component.CreatedAt, day, now, zone)!;
            db.Add(new ComponentUptimeDay { ComponentId = component.Id, Day = day, Operational = uptime.Operational, Worst = uptime.Worst });
        }
        await db.SaveChangesAsync(cancellationToken);
        return missing.Count;
    }
}
