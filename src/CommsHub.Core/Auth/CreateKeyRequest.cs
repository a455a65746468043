namespace CommsHub.Core.Auth;

/// <summary><c>POST /api/keys</c>: a name to find it by in the audit log, what it may do, and when it stops working.</summary>
public sealed record CreateKeyRequest(string? Name, List<string>? Scopes, DateTimeOffset? ExpiresAt = null);
