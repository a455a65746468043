using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Incidents;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.StatusPage;

/// <summary>The page's overall indicator as Statuspage defines it: <c>none</c>, <c>minor</c>, <c>major</c>, <c>critical</c>, <c>maintenance</c>.</summary>
public sealed record PageIndicator(string Indicator, string Description);

public static class PageStatus
{
    /// <summary>
    /// The worst impact among unresolved incidents; with none, the worst component status
    /// (degraded → minor, partial outage → major, major outage → critical); under maintenance
    /// with nothing worse → maintenance.
    /// </summary>
    public static async Task<PageIndicator> ComputeAsync(CommsHubDbContext db, CancellationToken cancellationToken)
    {
        // Maintenances count through their components (under_maintenance while open), so a scheduled
        // window changes nothing until it starts. The statuses are Incident.IsClosed's, spelled out for SQL.
        var impacts = await db.Incidents.AsNoTracking().Where(Incident.IsPublic)
            .Where(i => i.Kind == IncidentKind.Incident
                && i.Status != IncidentStatus.Resolved && i.Status != IncidentStatus.Postmortem && i.Status != IncidentStatus.Completed)
            .Select(i => i.Impact).ToListAsync(cancellationToken);
        var statuses = await db.Components.AsNoTracking().Select(c => c.Status).ToListAsync(cancellationToken);
        return From(impacts, statuses);
    }

    public static PageIndicator From(IEnumerable<Impact> openIncidentImpacts, IEnumerable<ComponentStatus> componentStatuses)
    {
        var componentList = componentStatuses.ToList();
        var worst = openIncidentImpacts.DefaultIfEmpty(Impact.None).Max();
        if (worst == Impact.None)
        {
            worst = componentList.Select(s => s switch
            {
                ComponentStatus.DegradedPerformance => Impact.Minor,
                ComponentStatus.PartialOutage => Impact.Major,
                ComponentStatus.MajorOutage => Impact.Critical,
                _ => Impact.None,
            }).DefaultIfEmpty(Impact.None).Max();
        }
        if (worst == Impact.None && componentList.Contains(ComponentStatus.UnderMaintenance))
        {
            return new PageIndicator("maintenance", "Service Under Maintenance");
        }
        return worst switch
        {
            Impact.Critical => new PageIndicator("critical", "Major System Outage"),
            Impact.Major => new PageIndicator("major", "Partial System Outage"),
            Impact.Minor => new PageIndicator("minor", "Minor Service Outage"),
            _ => new PageIndicator("none", "All Systems Operational"),
        };
    }
}
