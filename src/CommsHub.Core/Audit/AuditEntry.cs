namespace CommsHub.Core.Audit;

/// <summary>
/// One line of the tamper-evident audit log. Rows are appended in the transaction of the change
/// they record (nothing changes without its record); the chainer then gives each its place in the
/// chain (<see cref="Seq"/>) and its hash, SHA-256 over its canonical content and the previous hash.
/// People appear only as ids or keyed hashes: erasing personal data never touches the chain.
/// </summary>
public sealed class AuditEntry
{
    /// <summary>Insertion order (not chain order: transactions commit in any order).</summary>
    public long Id { get; init; }

    public DateTimeOffset At { get; init; }

    /// <summary>Who: <c>key:&lt;name&gt;</c>, <c>operator:&lt;email&gt;</c>, <c>system</c>, <c>sendgrid</c>, <c>twilio</c>, <c>scheduler</c>.</summary>
    public required string Actor { get; init; }

    /// <summary>What, as a dotted name: <c>delivery.sent</c>, <c>delivery.bounced</c>, <c>admin.request</c>, …</summary>
    public required string Action { get; init; }

    /// <summary>What it is about: an id (update, delivery, subscriber), when there is one.</summary>
    public string? Subject { get; init; }

    /// <summary>From where: the client's IP address for admin actions.</summary>
    public string? Source { get; init; }

    /// <summary>The details as canonical JSON text; hashed exactly as stored.</summary>
    public required string Data { get; init; }

    /// <summary>Position in the chain, from 1; null until chained.</summary>
    public long? Seq { get; set; }

    public string? PrevHash { get; set; }
    public string? Hash { get; set; }
}

/// <summary>The chain's last entry before a retention prune: verification continues from here.</summary>
public sealed class AuditCheckpoint
{
    public long Seq { get; init; }
    public required string Hash { get; init; }
    public DateTimeOffset At { get; init; }
}
