using CommsHub.Core.Common;

namespace CommsHub.Core.Incidents;

public sealed class Incident
{
    public Guid Id { get; init; } = Ids.New();
    public required string Title { get; set; }
    public IncidentStatus Status { get; set; } = IncidentStatus.Investigating;
    public Impact Impact { get; set; } = Impact.None;
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }

    /// <summary>Components this incident affects, with the status the incident last gave each.</summary>
    public List<IncidentComponent> Components { get; init; } = [];
    public List<IncidentUpdate> Updates { get; init; } = [];

    public bool IsOpen => Status is not (IncidentStatus.Resolved or IncidentStatus.Postmortem);
}

public sealed class IncidentComponent
{
    public Guid IncidentId { get; init; }
    public Guid ComponentId { get; init; }
    public ComponentStatus Status { get; set; }
}
