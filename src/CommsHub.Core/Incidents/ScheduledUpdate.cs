using System.Text.Json;
using CommsHub.Core.Common;

namespace CommsHub.Core.Incidents;

public enum ScheduledUpdateState { Scheduled, Published, Withdrawn, Failed }

/// <summary>
/// An incident update written now and published later. The request is kept as the operator sent it
/// and validated twice: when it is scheduled, and again when it is published (a component may have
/// changed in between).
/// </summary>
public sealed class ScheduledUpdate
{
    public Guid Id { get; init; } = Ids.New();
    public Guid IncidentId { get; init; }
    public DateTimeOffset PublishAt { get; set; }
    public ScheduledUpdateState State { get; set; } = ScheduledUpdateState.Scheduled;

    /// <summary>The update request as JSON (without <c>publishAt</c>).</summary>
    public required string Request { get; set; }

    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The update it became.</summary>
    public Guid? UpdateId { get; set; }

    /// <summary>Why publishing failed: the request no longer validates.</summary>
    public string? Error { get; set; }

    public CreateUpdateRequest ReadRequest() => JsonSerializer.Deserialize<CreateUpdateRequest>(Request, JsonSerializerOptions.Web)!;

    public static string WriteRequest(CreateUpdateRequest request) =>
        JsonSerializer.Serialize(request with { PublishAt = null }, JsonSerializerOptions.Web);
}
