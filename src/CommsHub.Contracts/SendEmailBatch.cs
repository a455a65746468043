namespace CommsHub.Contracts;

/// <summary>
/// Send the queued email deliveries of one planned batch of an update: one SendGrid request.
/// The batch is identified by number rather than by a list of ids so the message stays small
/// and a redelivered command finds exactly the rows it was planned for.
/// </summary>
public sealed record SendEmailBatch
{
    public Guid UpdateId { get; init; }
    public int Batch { get; init; }
}
