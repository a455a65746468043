namespace CommsHub.Core.Auth;

/// <summary>
/// An API key made through <c>POST /api/keys</c> (or generated at first start). Only the SHA-256
/// hash of the key is stored; the key itself is shown once, when it is made.
/// </summary>
public sealed class ApiKey
{
    public Guid Id { get; init; }
    public required string Name { get; set; }
    public required string Hash { get; init; }

    /// <summary>What the key may do: <see cref="Scopes"/> values; <c>admin</c> implies all the others.</summary>
    public List<string> Scopes { get; set; } = [];

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Who made it (an audit actor); null for the key generated at first start.</summary>
    public string? CreatedBy { get; init; }

    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>When it was last accepted; written in batches, so it may lag a few seconds.</summary>
    public DateTimeOffset? LastUsedAt { get; set; }

    /// <summary>The key generated at first start: refused once any key is configured, since it was printed to a log.</summary>
    public bool Generated { get; init; }
}
