using CommsHub.Core.Common;
using CommsHub.Core.Components;
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
    public async Task<int> RollUpAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var zone = TimeZoneInfo.FindSystemTimeZoneById(options.Value.TimeZone);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var first = today.AddDays(-(StatusPageOptions.UptimeDays - 1));
        var added = 0;
        foreach (var component in await db.Components.AsNoTracking().ToListAsync(cancellationToken))
        {
            var done = (await db.Set<ComponentUptimeDay>().AsNoTracking()
                .Where(d => d.ComponentId == component.Id && d.Day >= first)
                .Select(d => d.Day).ToListAsync(cancellationToken)).ToHashSet();
            var history = await db.Set<ComponentStatusHistory>().AsNoTracking()
                .Where(h => h.ComponentId == component.Id).OrderBy(h => h.At).ThenBy(h => h.Id).ToListAsync(cancellationToken);
            foreach (var day in StatusDataLoader.Uptime(history, component, now, zone).Where(d => d.Day < today && !done.Contains(d.Day)))
            {
                db.Add(new ComponentUptimeDay { ComponentId = component.Id, Day = day.Day, Operational = day.Operational, Worst = day.Worst });
                added++;
            }
            await db.SaveChangesAsync(cancellationToken);
        }
        return added;
    }
}
