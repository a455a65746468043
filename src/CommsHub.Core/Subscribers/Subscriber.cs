using CommsHub.Core.Common;

namespace CommsHub.Core.Subscribers;

public sealed class Subscriber
{
    public Guid Id { get; init; } = Ids.New();
    public Channel Channel { get; init; }

    /// <summary>Email address (lower-cased), E.164 phone number or webhook URL.</summary>
    public required string Address { get; set; }
    public SubscriberStatus Status { get; set; } = SubscriberStatus.Pending;
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ConfirmedAt { get; set; }

    /// <summary>Empty: every component.</summary>
    public List<SubscriberComponent> Components { get; init; } = [];
}

public sealed class SubscriberComponent
{
    public Guid SubscriberId { get; init; }
    public Guid ComponentId { get; init; }
}
