using CommsHub.Core.Common;

namespace CommsHub.Core.Incidents;

/// <summary>What an update says, independent of the medium: every renderer starts from this.</summary>
public sealed record UpdateContent(
    string PageName,
    string PageUrl,
    Guid IncidentId,
    string IncidentTitle,
    string IncidentUrl,
    IncidentStatus Status,
    Impact Impact,
    string Message,
    DateTimeOffset PostedAt,
    IReadOnlyList<(string Name, ComponentStatus Status)> Components);
