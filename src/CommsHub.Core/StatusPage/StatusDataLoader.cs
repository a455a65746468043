using CommsHub.Core.Channels.Webhook;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Hosting;
using CommsHub.Core.Incidents;
using System.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
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
        // One snapshot for every statement below: read one by one, a rebuild that straddles a commit
        // could pair the components' old statuses with the incidents' new ones (an indicator still
        // "critical" beside a list that no longer holds the incident that made it so).
        await using var snapshot = await BeginSnapshotAsync(cancellationToken);
        var now = time.GetUtcNow();
        var o = options.Value;
        var zone = TimeZoneInfo.FindSystemTimeZoneById(o.TimeZone);
        var components = await db.Components.AsNoTracking().OrderBy(c => c.Position).ThenBy(c => c.Name).ToListAsync(cancellationToken);
        var uptime = await UptimeDays.LoadAsync(db, components, now, zone, cancellationToken);
        // Deleted components too: past incidents still name what they touched.
        var names = await db.Components.IgnoreQueryFilters().AsNoTracking().ToDictionaryAsync(c => c.Id, c => c.Name, cancellationToken);

        var incidents = await WithTimeline(db.Incidents.Where(i => i.Kind == IncidentKind.Incident).Where(Incident.IsPublic)
            .OrderByDescending(i => i.CreatedAt).Take(o.IncidentHistory))
            .ToListAsync(cancellationToken);
        // Open ones however many (they are few, and each is on the page), then as many completed ones
        // as scheduled-maintenances.json can list.
        var maintenances = await WithTimeline(db.Incidents.Where(i => i.Kind == IncidentKind.Maintenance && i.Status != IncidentStatus.Completed))
            .ToListAsync(cancellationToken);
        maintenances.AddRange(await WithTimeline(db.Incidents.Where(i => i.Kind == IncidentKind.Maintenance && i.Status == IncidentStatus.Completed)
            .OrderByDescending(i => i.ScheduledFor).ThenByDescending(i => i.Id).Take(Api.StatuspageApi.MaintenanceLimit))
            .ToListAsync(cancellationToken));

        var componentData = components.Select(c => new ComponentData(c.Id, c.Name, c.Description, c.Group, c.Status, c.Position,
            c.CreatedAt, c.UpdatedAt, uptime[c.Id])).ToList();
        var incidentData = incidents.Select(i => ToData(i, names, hub.Value.Link($"/incidents/{i.Id}"))).ToList();
        var maintenanceData = maintenances
            .OrderByDescending(m => m.ScheduledFor).ThenByDescending(m => m.Id)
            .Select(m => new MaintenanceData(ToData(m, names, hub.Value.Link($"/incidents/{m.Id}")), m.ScheduledFor ?? m.CreatedAt, m.ScheduledUntil ?? m.ScheduledFor ?? m.CreatedAt, m.CancelledAt))
            .ToList();
        // A maintenance counts through its components (under_maintenance while open), never through its impact.
        var indicator = PageStatus.From(incidents.Where(i => i.IsOpen).Select(i => i.Impact), components.Select(c => c.Status));
        var updatedAt = components.Select(c => c.UpdatedAt).Concat(incidents.Select(i => i.UpdatedAt)).Concat(maintenances.Select(m => m.UpdatedAt))
            .DefaultIfEmpty().Max();
        if (updatedAt == default)
        {
            updatedAt = now;
        }
        var page = new PageInfo(StatuspageWebhookBody.PageId(hub.Value.PublicBaseUrl), hub.Value.PageName, hub.Value.Link("/").TrimEnd('/'),
            o.TimeZone, o.LogoUrl, updatedAt);
        return new StatusData(page, indicator, componentData, incidentData, now) { Maintenances = maintenanceData };
    }

    /// <summary>
    /// A transaction whose statements all see the same committed state (the load writes nothing; the caller's context
    /// must not be in a transaction of its own). PostgreSQL: repeatable
    /// read. SQLite: a deferred transaction, whose first read fixes the snapshot under WAL (EF's own
    /// BEGIN on SQLite is IMMEDIATE and would take the database's one write lock for the whole load).
    /// </summary>
    private async Task<IAsyncDisposable> BeginSnapshotAsync(CancellationToken cancellationToken)
    {
        if (db.Provider == DatabaseProvider.PostgreSql)
        {
            return await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        }
        await db.Database.OpenConnectionAsync(cancellationToken);
        SqliteTransaction? transaction = null;
        try
        {
            transaction = ((SqliteConnection)db.Database.GetDbConnection()).BeginTransaction(deferred: true);
            var used = await db.Database.UseTransactionAsync(transaction, cancellationToken)
                ?? throw new InvalidOperationException("EF Core did not take the SQLite transaction.");
            return new SqliteSnapshot(db, used, transaction);
        }
        catch
        {
            transaction?.Dispose();
            await db.Database.CloseConnectionAsync();
            throw;
        }
    }

    /// <summary>
    /// EF does not own a transaction it was handed: its wrapper is disposed (which lets go of it and of the connection
    /// EF opened for it), then the transaction itself (a rollback: nothing was written), then the connection opened here.
    /// </summary>
    private sealed class SqliteSnapshot(CommsHubDbContext db, IDbContextTransaction used, SqliteTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await used.DisposeAsync();
            await transaction.DisposeAsync();
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>An incident as the public surface shows it (its updates as loaded: the caller keeps to the public ones).</summary>
    /// <param name="names">Component names by id, deleted components included.</param>
    public static IncidentData ToData(Incident i, IReadOnlyDictionary<Guid, string> names, string shortlink) => new(
        i.Id, i.Title, i.Status, i.Impact, i.CreatedAt, i.UpdatedAt,
        i.Updates.Where(u => u.Status == IncidentStatus.Monitoring).Select(u => (DateTimeOffset?)u.CreatedAt).Min(),
        i.ResolvedAt,
        shortlink,
        i.Updates.OrderByDescending(u => u.CreatedAt).ThenByDescending(u => u.Id).Select(u => new IncidentUpdateData(u.Id, u.Status, u.Message, u.CreatedAt,
            u.ComponentChanges.Select(c => new ComponentChangeData(c.ComponentId, names.GetValueOrDefault(c.ComponentId, ""), c.OldStatus, c.NewStatus)).ToList())
        {
            EditedAt = u.EditedAt,
        }).ToList(),
        i.Components.Select(c => new AffectedComponent(c.ComponentId, names.GetValueOrDefault(c.ComponentId, ""), c.Status)).ToList())
    {
        EditedAt = i.EditedAt,
        // Rendered once per snapshot, never per request.
        Postmortem = i.PostmortemBody is { } body
            ? new PostmortemData(body, PostmortemMarkdown.ToHtml(body), i.PostmortemPublishedAt ?? i.UpdatedAt, i.PostmortemUpdatedAt ?? i.PostmortemPublishedAt ?? i.UpdatedAt,
                i.PostmortemNotifiedAt)
            : null,
    };

    /// <summary>
    /// With the public timeline: updates that are not public (maintenance reminders) were sent to
    /// subscribers but are shown nowhere.
    /// </summary>
    private static IQueryable<Incident> WithTimeline(IQueryable<Incident> query) => query.AsNoTracking()
        .Include(i => i.Updates.Where(u => u.Public)).ThenInclude(u => u.ComponentChanges)
        .Include(i => i.Components)
        .AsSplitQuery();
}
