using CommsHub.Core.Channels.Webhook;
using CommsHub.Core.Common;
using CommsHub.Core.Components;
using CommsHub.Core.Data;
using CommsHub.Core.Hosting;
using CommsHub.Core.Incidents;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.StatusPage;

public sealed class StatusPageOptions
{
    public const string Section = "StatusPage";

    /// <summary>IANA time zone for the times shown on the website.</summary>
    public string TimeZone { get; set; } = "Etc/UTC";

    /// <summary>An absolute URL of a logo image (served by you: the page loads nothing else from another host).</summary>
    public string? LogoUrl { get; set; }

    /// <summary>How many past incidents the website, API and feeds keep in memory.</summary>
    public int IncidentHistory { get; set; } = 500;

    public const int UptimeDays = 90;
}

/// <summary>Reads everything the public surface shows in a handful of queries.</summary>
public sealed class StatusDataLoader(CommsHubDbContext db, IOptions<CommsHubOptions> hub, IOptions<StatusPageOptions> options, TimeProvider time)
{
    public async Task<StatusData> LoadAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var o = options.Value;
        var zone = TimeZoneInfo.FindSystemTimeZoneById(o.TimeZone);
        var components = await db.Components.AsNoTracking().OrderBy(c => c.Position).ThenBy(c => c.Name).ToListAsync(cancellationToken);
        var history = (await db.Set<ComponentStatusHistory>().AsNoTracking().OrderBy(h => h.At).ThenBy(h => h.Id).ToListAsync(cancellationToken))
            .GroupBy(h => h.ComponentId).ToDictionary(g => g.Key, g => g.ToList());
        var names = components.ToDictionary(c => c.Id, c => c.Name);

        var incidents = await db.Incidents.AsNoTracking()
            .OrderByDescending(i => i.CreatedAt).Take(o.IncidentHistory)
            .Include(i => i.Updates).ThenInclude(u => u.ComponentChanges)
            .Include(i => i.Components)
            .AsSplitQuery()
            .ToListAsync(cancellationToken);

        var componentData = components.Select(c => new ComponentData(c.Id, c.Name, c.Description, c.Group, c.Status, c.Position,
            c.CreatedAt, c.UpdatedAt, Uptime(history.GetValueOrDefault(c.Id) ?? [], c, now, zone))).ToList();
        var incidentData = incidents.Select(i => ToData(i, names)).ToList();
        var indicator = PageStatus.From(incidents.Where(i => i.IsOpen).Select(i => i.Impact), components.Select(c => c.Status));
        var updatedAt = new[] { components.Select(c => c.UpdatedAt).DefaultIfEmpty().Max(), incidents.Select(i => i.UpdatedAt).DefaultIfEmpty().Max() }.Max();
        if (updatedAt == default)
        {
            updatedAt = now;
        }
        var page = new PageInfo(StatuspageWebhookBody.PageId(hub.Value.PublicBaseUrl), hub.Value.PageName, hub.Value.Link("/").TrimEnd('/'),
            o.TimeZone, o.LogoUrl, updatedAt);
        return new StatusData(page, indicator, componentData, incidentData, now);

        IncidentData ToData(Incident i, Dictionary<Guid, string> names) => new(
            i.Id, i.Title, i.Status, i.Impact, i.CreatedAt, i.UpdatedAt,
            i.Updates.Where(u => u.Status == IncidentStatus.Monitoring).Select(u => (DateTimeOffset?)u.CreatedAt).Min(),
            i.ResolvedAt,
            hub.Value.Link($"/incidents/{i.Id}"),
            i.Updates.OrderByDescending(u => u.CreatedAt).ThenByDescending(u => u.Id).Select(u => new IncidentUpdateData(u.Id, u.Status, u.Message, u.CreatedAt,
                u.ComponentChanges.Select(c => new ComponentChangeData(c.ComponentId, names.GetValueOrDefault(c.ComponentId, ""), c.OldStatus, c.NewStatus)).ToList())).ToList(),
            i.Components.Select(c => new AffectedComponent(c.ComponentId, names.GetValueOrDefault(c.ComponentId, ""), c.Status)).ToList());
    }

    /// <summary>
    /// 90 days, oldest first, in the page's time zone. As Statuspage counts it, a major outage is
    /// full downtime and a partial outage 30 %; degraded performance and maintenance are up.
    /// Days before the component existed are left out.
    /// </summary>
    public static IReadOnlyList<DayUptime> Uptime(List<ComponentStatusHistory> history, Components.Component component, DateTimeOffset now, TimeZoneInfo zone)
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var days = new List<DayUptime>(StatusPageOptions.UptimeDays);
        for (var d = today.AddDays(-(StatusPageOptions.UptimeDays - 1)); d <= today; d = d.AddDays(1))
        {
            var start = new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), zone.GetUtcOffset(d.ToDateTime(TimeOnly.MinValue)));
            var end = start.AddDays(1) < now ? start.AddDays(1) : now;
            if (end <= component.CreatedAt)
            {
                continue;
            }
            var from = start < component.CreatedAt ? component.CreatedAt : start;
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
            days.Add(new DayUptime(d, total <= 0 ? 1 : Math.Clamp(1 - (down / total), 0, 1), worst));
        }
        return days;
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
