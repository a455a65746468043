namespace CommsHub.Contracts;

/// <summary>Send the queued SMS deliveries of one planned batch of an update, one Twilio request each.</summary>
public sealed record SendSmsBatch
{
    public Guid UpdateId { get; init; }
    public int Batch { get; init; }
}

/// <summary>POST the queued webhook deliveries of one planned batch of an update to their subscribers.</summary>
public sealed record SendWebhookBatch
{
    public Guid UpdateId { get; init; }
    public int Batch { get; init; }
}

/// <summary>Post an update to one configured social account (the batch number names the network).</summary>
public sealed record SendSocialPost
{
    public Guid UpdateId { get; init; }
    public int Batch { get; init; }
}

/// <summary>Post an update to one configured chat webhook (the batch number names the target).</summary>
public sealed record SendChatPost
{
    public Guid UpdateId { get; init; }
    public int Batch { get; init; }
}
