namespace CommsHub.Core.Common;

/// <summary>Human wording of the contract's values, for messages people read.</summary>
public static class Labels
{
    public static string Of(IncidentStatus status) => status switch
    {
        IncidentStatus.Investigating => "Investigating",
        IncidentStatus.Identified => "Identified",
        IncidentStatus.Monitoring => "Monitoring",
        IncidentStatus.Resolved => "Resolved",
        IncidentStatus.Postmortem => "Postmortem",
        IncidentStatus.Scheduled => "Scheduled",
        IncidentStatus.InProgress => "In progress",
        IncidentStatus.Verifying => "Verifying",
        IncidentStatus.Completed => "Completed",
        _ => status.ToString(),
    };

    public static string Of(Impact impact) => impact switch
    {
        Impact.None => "No",
        Impact.Minor => "Minor",
        Impact.Major => "Major",
        Impact.Critical => "Critical",
        _ => impact.ToString(),
    };

    public static string Of(ComponentStatus status) => status switch
    {
        ComponentStatus.Operational => "Operational",
        ComponentStatus.DegradedPerformance => "Degraded performance",
        ComponentStatus.PartialOutage => "Partial outage",
        ComponentStatus.MajorOutage => "Major outage",
        ComponentStatus.UnderMaintenance => "Under maintenance",
        _ => status.ToString(),
    };
}
