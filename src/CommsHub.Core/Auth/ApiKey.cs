namespace CommsHub.Core.Auth;

/// <summary>A generated admin key; only its SHA-256 hash is stored.</summary>
public sealed class ApiKey
{
    public Guid Id { get; init; }
    public required string Name { get; init; }
    public required string Hash { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}
