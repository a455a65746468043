namespace CommsHub.Contracts;

/// <summary>An incident update was stored and should reach its audience.</summary>
public sealed record IncidentUpdatePublished
{
    public Guid UpdateId { get; init; }
    public Guid IncidentId { get; init; }
    public DateTimeOffset PublishedAt { get; init; }
}
