namespace CommsHub.Contracts;

/// <summary>Something the public status page shows changed without an incident update (a component, a maintenance).</summary>
public sealed record StatusPageChanged
{
    public DateTimeOffset ChangedAt { get; init; }
}
