using CommsHub.Core.Common;

namespace CommsHub.Core.Components;

public sealed class Component
{
    public Guid Id { get; init; } = Ids.New();
    public required string Name { get; set; }
    public string? Description { get; set; }
    public string? Group { get; set; }
    public ComponentStatus Status { get; set; } = ComponentStatus.Operational;
    public int Position { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Deleted: shown nowhere and offered to nobody, kept so past incidents still name it.</summary>
    public DateTimeOffset? DeletedAt { get; set; }
}
