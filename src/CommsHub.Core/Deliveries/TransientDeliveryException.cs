namespace CommsHub.Core.Deliveries;

/// <summary>A provider failed in a way that may pass: the bus retries the message that met it.</summary>
public sealed class TransientDeliveryException(string message) : Exception(message);
