namespace CommsHub.Core.Auth;

/// <summary>A key this process accepts right now: who it is (for the audit log) and what it may do.</summary>
/// <param name="Id">The stored key's id; null for a key from configuration.</param>
/// <param name="Name">The key's name; <c>config-N</c> for <c>Auth:AdminApiKeys:N</c>.</param>
public sealed record AcceptedKey(Guid? Id, string Name, IReadOnlyList<string> Scopes)
{
    /// <summary>How the audit log names the caller: <c>key:&lt;name&gt;</c>.</summary>
    public string Actor => CommsHubClaims.KeyActor(Name);

    /// <summary>The value of <see cref="CommsHubClaims.SubjectId"/>: the stored id, or the configured key's name.</summary>
    public string Subject => Id?.ToString() ?? Name;
}
