using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Channels.Resilience;

/// <summary>
/// The circuits of providers whose clients hold none themselves (chat webhooks, social networks): one per
/// name, made on first use and kept for the life of the process, with the default
/// <see cref="CircuitBreakerOptions"/>.
/// </summary>
public sealed class NamedCircuits(TimeProvider time, ILogger<NamedCircuits> logger)
{
    private readonly ConcurrentDictionary<string, ProviderCircuit> _circuits = new(StringComparer.Ordinal);

    /// <param name="provider">The provider named on held results (slack, mastodon…).</param>
    /// <param name="name">The circuit's key and what the logs call it: a chat target's label, a social account.</param>
    public ProviderCircuit For(string provider, string name) =>
        _circuits.GetOrAdd(name, n => new ProviderCircuit(provider, n, new CircuitBreakerOptions(), time, logger));
}
