using CommsHub.Core.Common;
using CommsHub.Core.Components;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.StatusPage;

/// <summary>
/// The 90-day uptime bars, in the page's time zone. As Statuspage counts it, a major outage is full
/// downtime and a partial outage 30 %; degraded performance and maintenance are up. Days before a
/// component existed are left out. Closed days come from <see cref="ComponentUptimeDay"/> rows once
/// <see cref="UptimeRollup"/> has stored them; only the rest is computed from the status history.
/// </summary>
public static class UptimeDays
{
    public static DateOnly Today(DateTimeOffset now, TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);

    /// <summary>The oldest day of the window that ends today.</summary>
    public static DateOnly First(DateOnly today) => today.AddDays(-(StatusPageOptions.UptimeDays - 1));

    /// <summary>Local midnight. A day is counted as the 24 hours from there, also on a daylight-saving change.</summary>
    public static DateTimeOffset Start(DateOnly day, TimeZoneInfo zone)
    {
        var midnight = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(midnight, zone.GetUtcOffset(midnight));
    }

    /// <summary>Whether the day has a bar at all: some of it had passed after the component was created.</summary>
    public static bool Shown(DateOnly day, DateTimeOffset createdAt, DateTimeOffset now, TimeZoneInfo zone) => End(day, now, zone) > createdAt;

    /// <summary>
    /// The window's bars for every component: stored days as they are, every other day computed from
    /// the history that starts at the earliest such day (a quiet page: today only).
    /// </summary>
    public static async Task<Dictionary<Guid, IReadOnlyList<DayUptime>>> LoadAsync(
        CommsHubDbContext db, IReadOnlyList<Component> components, DateTimeOffset now, TimeZoneInfo zone, CancellationToken cancellationToken)
    {
        var today = Today(now, zone);
        var first = First(today);
        var stored = (await db.Set<ComponentUptimeDay>().AsNoTracking()
                .Where(d => d.Day >= first && d.Day < today)
                .ToListAsync(cancellationToken))
            .ToDictionary(d => (d.ComponentId, d.Day), d => new DayUptime(d.Day, d.Operational, d.Worst));
        var missing = components.ToDictionary(c => c.Id, c => Window(today)
            .Where(d => Shown(d, c.CreatedAt, now, zone) && !stored.ContainsKey((c.Id, d))).ToHashSet());
        var earliest = missing.Values.SelectMany(days => days).DefaultIfEmpty(today).Min();
        var history = await HistoryAsync(db, [.. components.Select(c => c.Id)], Start(earliest, zone), cancellationToken);

        return components.ToDictionary(c => c.Id, c => (IReadOnlyList<DayUptime>)
        [
            .. Window(today)
                .Where(d => Shown(d, c.CreatedAt, now, zone))
                .Select(d => missing[c.Id].Contains(d)
                    ? Day(history.GetValueOrDefault(c.Id) ?? [], c.CreatedAt, d, now, zone)
                    : stored[(c.Id, d)])
                .OfType<DayUptime>(),
        ]);
    }

    /// <summary>
    /// Each component's status changes from <paramref name="since"/> on, preceded by the last change
    /// before it (the status the component was in at that moment); oldest first.
    /// </summary>
    public static async Task<Dictionary<Guid, List<ComponentStatusHistory>>> HistoryAsync(
        CommsHubDbContext db, IReadOnlyCollection<Guid> componentIds, DateTimeOffset since, CancellationToken cancellationToken)
    {
        // In UTC like every stored time: SQLite compares the times' encoding, which holds local ticks.
        since = since.ToUniversalTime();
        var history = db.Set<ComponentStatusHistory>().AsNoTracking();
        var rows = await history
            .Where(h => h.At >= since && componentIds.Contains(h.ComponentId))
            .ToListAsync(cancellationToken);
        foreach (var id in componentIds)
        {
            // One index seek per component on (component_id, at): a window function over the table
            // would read the whole history this exists to avoid.
            var before = await history
                .Where(h => h.ComponentId == id && h.At < since)
                .OrderByDescending(h => h.At).ThenByDescending(h => h.Id)
                .FirstOrDefaultAsync(cancellationToken);
            if (before is not null)
            {
                rows.Add(before);
            }
        }
        return rows.GroupBy(h => h.ComponentId)
            .ToDictionary(g => g.Key, g => g.OrderBy(h => h.At).ThenBy(h => h.Id).ToList());
    }

    /// <summary>
    /// One day's bar: the share of it the component was up, and its worst status. <paramref name="history"/>
    /// must hold, oldest first, every change in the day and the last one before it. Null for a day
    /// before the component existed.
    /// </summary>
    public static DayUptime? Day(IReadOnlyList<ComponentStatusHistory> history, DateTimeOffset createdAt, DateOnly day, DateTimeOffset now, TimeZoneInfo zone)
    {
        var start = Start(day, zone);
        var end = End(day, now, zone);
        if (end <= createdAt)
        {
            return null;
        }
        var from = start < createdAt ? createdAt : start;
        double down = 0;
        var worst = ComponentStatus.Operational;
        var status = history.LastOrDefault(h => h.At <= from)?.Status ?? ComponentStatus.Operational;
        var cursor = from;
        foreach (var change in history.Where(h => h.At > from && h.At < end).Append(null))
        {
            var until = change?.At ?? end;
            down += (until - cursor).TotalSeconds * Weight(status);
            worst = Worse(worst, status);
            if (change is null)
            {
                break;
            }
            status = change.Status;
            cursor = until;
        }
        var total = (end - from).TotalSeconds;
        return new DayUptime(day, total <= 0 ? 1 : Math.Clamp(1 - (down / total), 0, 1), worst);
    }

    /// <summary>The window's days, oldest first.</summary>
    public static IEnumerable<DateOnly> Window(DateOnly today)
    {
        for (var d = First(today); d <= today; d = d.AddDays(1))
        {
            yield return d;
        }
    }

    private static DateTimeOffset End(DateOnly day, DateTimeOffset now, TimeZoneInfo zone)
    {
        var next = Start(day, zone).AddDays(1);
        return next < now ? next : now;
    }

    private static double Weight(ComponentStatus status) => status switch
    {
        ComponentStatus.MajorOutage => 1,
        ComponentStatus.PartialOutage => 0.3,
        _ => 0,
    };

    private static ComponentStatus Worse(ComponentStatus a, ComponentStatus b) => Rank(b) > Rank(a) ? b : a;

    private static int Rank(ComponentStatus s) => s switch
    {
        ComponentStatus.MajorOutage => 4,
        ComponentStatus.PartialOutage => 3,
        ComponentStatus.DegradedPerformance => 2,
        ComponentStatus.UnderMaintenance => 1,
        _ => 0,
    };
}
