namespace CommsHub.Core.Common;

/// <summary>A server-side secret generated once and shared by every process through the database.</summary>
public sealed class AppSecret
{
    public required string Name { get; init; }
    public required string Value { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}
