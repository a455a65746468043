namespace CommsHub.Core.Auth.Operators;

public sealed record CreateOperatorRequest(string? Email, string? Name, string? Role);

/// <summary>Fields left out stay as they are.</summary>
public sealed record UpdateOperatorRequest(string? Role = null, string? Name = null);
