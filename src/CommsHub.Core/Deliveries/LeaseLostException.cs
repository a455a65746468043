using CommsHub.Core.Common;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// A sender's renewal found none of its deliveries still under its claim: the claim ran out (a long stall, a database
/// away for longer than <see cref="LeaseOptions.Duration"/>) and another sender took the batch, or what was left of it
/// was settled meanwhile (a cancelled campaign). Nothing more is sent under the lost claim: the other sender has it.
/// </summary>
public sealed class LeaseLostException(DeliveryLease lease)
    : Exception($"The claim on {lease.Channel.ToWire()} batch {lease.Batch} of {lease.UpdateId} ran out and holds nothing any more; the batch is another sender's.");
