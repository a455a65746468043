namespace CommsHub.Core.Incidents;

/// <summary>The body of <c>POST /api/templates</c>. Enum values arrive as text so a bad one is a field error.</summary>
public sealed record CreateTemplateRequest(
    string? Name,
    string? Title,
    string? Message,
    string? Status = null,
    string? Impact = null,
    List<ComponentStatusRequest>? Components = null);
