namespace CommsHub.Core.Deliveries;

/// <summary>
/// What a sender has on the wire: one row per lease, not a write per recipient. A sender marks its requests
/// before they leave, in the lease's order of delivery ids, so what is marked is always the lease's deliveries
/// up to <see cref="ThroughId"/>. Deleted once nothing of the lease is left unrecorded; a row left behind by a
/// sender that died makes the queued deliveries it covers in doubt for the next claim
/// (<see cref="Delivery.PreviousLeaseToken"/>).
/// </summary>
public sealed class InFlightMark
{
    public Guid LeaseToken { get; init; }

    /// <summary>The lease's batch: whether anything of the lease is still held is read through the batch's index.</summary>
    public Guid UpdateId { get; init; }
    public Common.Channel Channel { get; init; }
    public int Batch { get; init; }

    /// <summary>When the lease's first marked request went out: the earliest a provider can have received any of them.</summary>
    public DateTimeOffset Since { get; set; }

    /// <summary>The last delivery marked, in the database's order of ids (see <see cref="DeliveryLeases.CompareIds"/>).</summary>
    public Guid ThroughId { get; set; }
}
