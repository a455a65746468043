namespace CommsHub.Core.Components;

/// <param name="Position">Place within its group, 1 first; left out or past the end: last of the group.</param>
public sealed record CreateComponentRequest(string? Name, string? Description = null, string? Group = null, string? Status = null, int? Position = null);

/// <param name="Position">Place within its group, 1 first; past the end: last. The group's other components move up or down to make room.</param>
public sealed record PatchComponentRequest(string? Name = null, string? Description = null, string? Group = null, string? Status = null, int? Position = null);

/// <summary>A component and its place within its group (1 first), as the page shows it.</summary>
public sealed record PlacedComponent(Component Component, int Position);
