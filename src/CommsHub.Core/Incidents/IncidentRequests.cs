namespace CommsHub.Core.Incidents;

/// <summary>A component and the status an incident gives it. Enum values arrive as text so a bad one is a field error.</summary>
public sealed record ComponentStatusRequest(Guid? Id, string? Status);

/// <param name="Draft">true: store without publishing or sending, until <c>POST /api/incidents/{id}/publish</c>.</param>
/// <param name="TemplateId">Start from an incident template; fields given here win over the template's.</param>
public sealed record CreateIncidentRequest(
    string? Title,
    string? Message,
    string? Status = null,
    string? Impact = null,
    List<ComponentStatusRequest>? Components = null,
    List<string>? Channels = null,
    bool? Notify = null,
    bool? Draft = null,
    Guid? TemplateId = null);

/// <param name="PublishAt">Later: the update is stored and published at this time; until then it can be changed or withdrawn.</param>
public sealed record CreateUpdateRequest(
    string? Message,
    string? Status = null,
    string? Impact = null,
    List<ComponentStatusRequest>? Components = null,
    List<string>? Channels = null,
    bool? Notify = null,
    DateTimeOffset? PublishAt = null);

/// <summary>
/// Corrects a published incident's title or impact. On a draft, every field of its first update
/// can be changed too (<c>message</c>, <c>status</c>, <c>components</c>, <c>channels</c>, <c>notify</c>).
/// </summary>
public sealed record PatchIncidentRequest(
    string? Title = null,
    string? Impact = null,
    string? Message = null,
    string? Status = null,
    List<ComponentStatusRequest>? Components = null,
    List<string>? Channels = null,
    bool? Notify = null);

/// <param name="Notify">true: also send the corrected text to the update's audience, as a correction.</param>
public sealed record CorrectUpdateRequest(string? Message, bool? Notify = null);

/// <param name="Body">Markdown; replaces the postmortem already published, if any.</param>
/// <param name="Notify">true: also send subscribers a short message linking to it (once per text).</param>
public sealed record PostmortemRequest(string? Body, bool? Notify = null);
