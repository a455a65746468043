using CommsHub.Core.Common;
using CommsHub.Core.Components;
using CommsHub.Core.Data;
using CommsHub.Core.Incidents;
using CommsHub.Core.StatusPage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CommsHub.Tests.StatusPage;

/// <summary>
/// Rows written straight into the database, as the services would leave them: tests of what the
/// public surface shows need no admin endpoint and no clock of their own.
/// </summary>
internal static class StatusSeed
{
    public static Component Component(string name, DateTimeOffset createdAt, ComponentStatus status = ComponentStatus.Operational) =>
        new() { Name = name, Status = status, CreatedAt = createdAt, UpdatedAt = createdAt };

    /// <summary>
    /// A maintenance announced at <paramref name="createdAt"/>; started (its components going under
    /// maintenance) and completed as its status says; with a reminder that is sent but not public.
    /// </summary>
    public static Incident Maintenance(string title, IncidentStatus status, DateTimeOffset createdAt, DateTimeOffset from, DateTimeOffset until,
        IReadOnlyList<Component> components, bool cancelled = false)
    {
        var maintenance = new Incident
        {
            Kind = IncidentKind.Maintenance, Title = title, Status = status, CreatedAt = createdAt, UpdatedAt = createdAt,
            ScheduledFor = from, ScheduledUntil = until,
        };
        maintenance.Components.AddRange(components.Select(c => new IncidentComponent
        {
            IncidentId = maintenance.Id, ComponentId = c.Id,
            Status = status is IncidentStatus.InProgress or IncidentStatus.Verifying ? ComponentStatus.UnderMaintenance : ComponentStatus.Operational,
        }));
        Add(maintenance, IncidentStatus.Scheduled, $"Announcing: {title}.", createdAt);
        Add(maintenance, IncidentStatus.Scheduled, $"Reminder: {title} starts soon.", from.AddHours(-1), isPublic: false);
        if (cancelled)
        {
            maintenance.CancelledAt = createdAt.AddMinutes(30);
            Add(maintenance, IncidentStatus.Completed, $"Cancelled: {title}.", createdAt.AddMinutes(30));
            return maintenance;
        }
        if (status is IncidentStatus.InProgress or IncidentStatus.Verifying or IncidentStatus.Completed)
        {
            var start = Add(maintenance, IncidentStatus.InProgress, $"Started: {title}.", from);
            start.ComponentChanges.AddRange(components.Select(c => new ComponentChange
            {
                UpdateId = start.Id, ComponentId = c.Id, OldStatus = ComponentStatus.Operational, NewStatus = ComponentStatus.UnderMaintenance,
            }));
        }
        if (status == IncidentStatus.Completed)
        {
            Add(maintenance, IncidentStatus.Completed, $"Completed: {title}.", until);
        }
        return maintenance;
    }

    public static Incident Incident(string title, IncidentStatus status, Impact impact, DateTimeOffset createdAt)
    {
        var incident = new Incident { Title = title, Status = status, Impact = impact, CreatedAt = createdAt, UpdatedAt = createdAt };
        Add(incident, status, $"Update on {title}.", createdAt);
        return incident;
    }

    public static StatusDataLoader Loader(IServiceProvider services, DateTimeOffset now, string timeZone = "Etc/UTC") => new(
        services.GetRequiredService<CommsHubDbContext>(), services.GetRequiredService<IOptions<Core.Hosting.CommsHubOptions>>(),
        Options.Create(new StatusPageOptions { TimeZone = timeZone }), new FixedTime(now));

    private static IncidentUpdate Add(Incident incident, IncidentStatus status, string message, DateTimeOffset at, bool isPublic = true)
    {
        var update = new IncidentUpdate { IncidentId = incident.Id, Status = status, Message = message, CreatedAt = at, Public = isPublic };
        incident.Updates.Add(update);
        if (at > incident.UpdatedAt)
        {
            incident.UpdatedAt = at;
        }
        if (Core.Incidents.Incident.IsClosed(status))
        {
            incident.ResolvedAt = at;
        }
        return update;
    }
}

/// <summary>A clock that stays where the test put it.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
