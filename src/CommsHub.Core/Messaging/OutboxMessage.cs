namespace CommsHub.Core.Messaging;

/// <summary>
/// A bus message written in the same transaction as the change it announces, published later
/// by the <see cref="OutboxDispatcher"/>. Its <see cref="MessageId"/> becomes the bus MessageId.
/// </summary>
public sealed class OutboxMessage
{
    public long Id { get; init; }
    public Guid MessageId { get; init; }
    public required string MessageType { get; init; }
    public required string Payload { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? PublishedAt { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }

    /// <summary>
    /// The W3C <c>traceparent</c> of the call that wrote the row: the dispatcher publishes under it, so one
    /// trace runs from the publishing request across the commit to every send. Null when nothing was traced.
    /// </summary>
    public string? TraceParent { get; init; }
}
