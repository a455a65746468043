using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Channels.Resilience;

/// <summary>
/// One <see cref="ProviderCircuit"/> per target origin (scheme, host and port), so one subscriber's dead
/// endpoint opens its own circuit and nobody else's. Made on first use and kept: one per origin ever
/// posted to, a few hundred bytes each.
/// </summary>
public sealed class TargetCircuits(string provider, CircuitBreakerOptions options, TimeProvider time, ILogger logger)
{
    private readonly ConcurrentDictionary<string, ProviderCircuit> _circuits = new(StringComparer.OrdinalIgnoreCase);

    public ProviderCircuit For(Uri target) => _circuits.GetOrAdd(Origin(target), origin => new ProviderCircuit(provider, origin, options, time, logger));

    // Scheme, host and port only: a user:password in the URL must not reach the logs.
    public static string Origin(Uri target) => target.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped);
}
