using CommsHub.Core.Common;

namespace CommsHub.Core.Deliveries;

/// <summary>The outcome of one provider request, for every recipient in it.</summary>
/// <param name="Status">sent, sandboxed, failed or queued (a transient failure to retry).</param>
/// <param name="ErrorCode">The provider's own error code (Twilio's 21610, say), when it gave one.</param>
/// <param name="RetryAfter">The provider's Retry-After, when it asked us to wait: no call before then.</param>
public sealed record SendResult(
    DeliveryStatus Status,
    string Provider,
    string? ProviderMessageId = null,
    int? HttpStatus = null,
    string? Error = null,
    bool Transient = false,
    TimeSpan Latency = default,
    string? ErrorCode = null,
    TimeSpan? RetryAfter = null)
{
    public bool Accepted => Status is DeliveryStatus.Sent or DeliveryStatus.Sandboxed;

    /// <summary>
    /// A sandboxed send's text, as it would have gone out (an email's subject and text body, an SMS's
    /// body): recorded on the delivery so an operator without a provider can read what subscribers
    /// would get. Null for real sends, which store nothing more.
    /// </summary>
    public string? Rendered { get; init; }

    /// <summary>
    /// A sandboxed request of personal messages (a campaign's, one per recipient in one request): each delivery's
    /// own text by delivery id, recorded in place of <see cref="Rendered"/>, which holds only the request's placeholders.
    /// </summary>
    public IReadOnlyDictionary<Guid, string>? RenderedEach { get; init; }

    /// <summary>
    /// Nothing was sent: the provider's circuit is open, or it asked us to wait (Retry-After) for an
    /// earlier request. The sender gives the delivery back untried (<c>DeliveryLeases.DeferAsync</c>) for
    /// <see cref="RetryAfter"/>; it is not an attempt. Recorded by mistake, it is still a transient failure
    /// that waits at least as long.
    /// </summary>
    public bool Held { get; init; }

    /// <summary>
    /// The request left and no answer came (a time-out): the provider may have accepted it. Recorded as a transient failure
    /// that keeps the lease's token (not its time: no longer held) and so the lease's in-flight mark, so the retry's claim
    /// finds it in doubt and, where the provider can be asked (<see cref="IInDoubtLookup"/>), looks it up before sending it
    /// again instead of repeating it.
    /// </summary>
    public bool Unanswered { get; init; }

    /// <summary>Recorded keeping the lease's token: a transient failure of a request that may have been accepted, still to be retried.</summary>
    internal bool KeepsLeaseToken(DeliveryStatus recorded) => Unanswered && recorded == DeliveryStatus.Queued;

    public static SendResult Hold(string provider, TimeSpan wait, string reason) =>
        new(DeliveryStatus.Queued, provider, Error: reason, Transient: true, RetryAfter: wait) { Held = true };
}
