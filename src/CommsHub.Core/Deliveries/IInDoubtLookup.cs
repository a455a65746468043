namespace CommsHub.Core.Deliveries;

/// <summary>
/// An adapter whose provider can say whether it accepted a request whose answer was never recorded (its
/// sender died with the request on the wire). <see cref="SendConsumer{TCommand, TAdapter}"/> asks it before
/// sending such deliveries again; a medium without one sends them again (at least once), counted.
/// </summary>
public interface IInDoubtLookup
{
    /// <summary>
    /// Of <paramref name="inDoubt"/> (each with the <see cref="LeasedDelivery.InFlightAt"/> of the request that
    /// carried it), those the provider holds as accepted, with the answer to record. One missing is unknown, and
    /// sent again. Cancellable: nothing is sent.
    /// </summary>
    Task<IReadOnlyDictionary<Guid, SendResult>> FindAsync(SendBatch batch, IReadOnlyList<LeasedDelivery> inDoubt, CancellationToken cancellationToken);
}
