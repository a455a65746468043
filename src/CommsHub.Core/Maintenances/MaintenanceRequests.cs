namespace CommsHub.Core.Maintenances;

/// <param name="Reminders">ISO 8601 durations before the start, such as <c>PT1H</c> or <c>P1D</c>.</param>
/// <param name="AutoTransition">Open and close the window on time; false leaves both to the operator.</param>
public sealed record CreateMaintenanceRequest(
    string? Title,
    string? Message,
    List<Guid?>? Components,
    DateTimeOffset? ScheduledFor,
    DateTimeOffset? ScheduledUntil,
    List<string>? Reminders = null,
    bool? AutoTransition = null,
    List<string>? Channels = null,
    bool? Notify = null);

/// <summary>PATCH: fields left out keep their value. Moving the window tells subscribers unless <c>notify</c> is false.</summary>
public sealed record ChangeMaintenanceRequest(
    string? Title = null,
    List<Guid?>? Components = null,
    DateTimeOffset? ScheduledFor = null,
    DateTimeOffset? ScheduledUntil = null,
    List<string>? Reminders = null,
    bool? AutoTransition = null,
    string? Message = null,
    bool? Notify = null);

/// <summary>An operator's own update on a maintenance: <c>in_progress</c>, <c>verifying</c> or <c>completed</c>, or a note.</summary>
public sealed record MaintenanceUpdateRequest(string? Message, string? Status = null, List<string>? Channels = null, bool? Notify = null);

public sealed record CancelMaintenanceRequest(string? Message = null, bool? Notify = null);
