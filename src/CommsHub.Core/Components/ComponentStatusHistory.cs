using CommsHub.Core.Common;
using CommsHub.Core.Data;

namespace CommsHub.Core.Components;

/// <summary>
/// A component entered a status at a time: the record the 90-day uptime bars are computed from.
/// Written in the same transaction as the change itself, whoever made it (an incident update,
/// an operator's PATCH, a maintenance window).
/// </summary>
public sealed class ComponentStatusHistory
{
    public long Id { get; init; }
    public Guid ComponentId { get; init; }
    public ComponentStatus Status { get; init; }
    public DateTimeOffset At { get; init; }

    public static void Record(CommsHubDbContext db, Guid componentId, ComponentStatus status, DateTimeOffset at) =>
        db.Set<ComponentStatusHistory>().Add(new ComponentStatusHistory { ComponentId = componentId, Status = status, At = at });
}
