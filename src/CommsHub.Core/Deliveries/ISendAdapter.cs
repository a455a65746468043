using CommsHub.Core.Incidents;
using CommsHub.Core.Common;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// What a medium knows and nothing more: how it splits a batch into provider requests, how it renders,
/// how it sends one request and what the answer means for the subscriber. The claim, the lease, the
/// records, the retries and the hand-back are <see cref="SendConsumer{TCommand, TAdapter}"/>'s, the
/// same for every channel; an adapter never touches the database. Adding a channel is one adapter and
/// its line in <see cref="DeliveryCommands"/> and the bus setup.
/// </summary>
public interface ISendAdapter
{
    Channel Channel { get; }

    /// <summary>Recipients per provider request: <see cref="int.MaxValue"/> sends the whole batch as one request (SendGrid), 1 one request each.</summary>
    int RecipientsPerRequest { get; }

    /// <summary>How many requests of one batch are on the wire at once.</summary>
    int Parallelism { get; }

    /// <summary>
    /// True when each recipient's target has its own circuit (webhooks): a held request holds only its target.
    /// False for one circuit per provider: the first held request holds the rest of the batch, untried.
    /// </summary>
    bool CircuitPerTarget { get; }

    /// <summary>
    /// Renders the batch once: the requests to make, or an outcome for the whole batch without any
    /// (failed: nothing to send it with; later: it must wait). Cancellable: nothing is on the wire yet.
    /// </summary>
    Task<PreparedBatch> PrepareAsync(SendBatch batch, CancellationToken cancellationToken);

    /// <summary>Waits for the medium's pacing (SMS's rate budget) before a request; cancellable, nothing is sent yet.</summary>
    ValueTask PaceAsync(CancellationToken cancellationToken);

    /// <summary>The pace <see cref="PaceAsync"/> keeps, in requests per second of the whole process; null when unpaced.</summary>
    double? RequestsPerSecond => null;

    /// <summary>What the answer makes the recipient's subscription, when it ends it (a STOP, an invalid number, a 410), else null.</summary>
    SubscriberStatus? SubscriptionAfter(SendResult result);
}

/// <summary>One claimed batch, as an adapter sees it: an update's (<see cref="Content"/>), a message's (<see cref="Message"/>) or one message per recipient (<see cref="Personal"/>), only one of them.</summary>
/// <param name="UpdateId">The update's id, or the <see cref="OutboundMessage"/>'s.</param>
/// <param name="Content">What an update says, for the adapter to render.</param>
/// <param name="Message">A message rendered when it was asked for (a confirmation, a notice to operators), sent as it is.</param>
/// <param name="History">Earlier deliveries of the same incident to the same recipient (social threads reply to them).</param>
/// <param name="Personal">Each delivery's own message by delivery id (a campaign's), when the batch is neither an update's nor a message's.</param>
public sealed record SendBatch(Guid UpdateId, int Batch, IReadOnlyList<LeasedDelivery> Deliveries, UpdateContent? Content, IDeliveryHistory History,
    MessageContent? Message = null, IReadOnlyDictionary<Guid, PersonalMessage>? Personal = null);

/// <summary>What <see cref="ISendAdapter.PrepareAsync"/> decided for a batch.</summary>
public sealed class PreparedBatch
{
    private PreparedBatch(Func<IReadOnlyList<LeasedDelivery>, Task<SendResult>>? send, SendResult? outcome, TimeSpan? wait)
    {
        Send = send;
        Outcome = outcome;
        Wait = wait;
    }

    /// <summary>
    /// Sends one request to these recipients. It takes no cancellation token on purpose: a request once
    /// started runs to its answer (bounded by the provider's time-out), since abandoning an accepted request would send it twice.
    /// </summary>
    public Func<IReadOnlyList<LeasedDelivery>, Task<SendResult>>? Send { get; }

    /// <summary>The outcome for every delivery of the batch, recorded without a request.</summary>
    public SendResult? Outcome { get; }

    /// <summary>Give the batch back untried for this long (no attempt counted).</summary>
    public TimeSpan? Wait { get; }

    public static PreparedBatch Ready(Func<IReadOnlyList<LeasedDelivery>, Task<SendResult>> send) => new(send, null, null);

    public static PreparedBatch Failed(string provider, string error) => new(null, new SendResult(DeliveryStatus.Failed, provider, Error: error), null);

    public static PreparedBatch Later(TimeSpan wait) => new(null, null, wait);
}

/// <summary>Earlier deliveries of a batch's incident to the same recipient on the same channel.</summary>
public interface IDeliveryHistory
{
    /// <summary>Oldest first, up to and excluding this batch's update.</summary>
    Task<IReadOnlyList<EarlierDelivery>> EarlierAsync(Guid subscriberId, CancellationToken cancellationToken);
}

public sealed record EarlierDelivery(DeliveryStatus Status, string? ProviderMessageId);
