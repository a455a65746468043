using System.Runtime.CompilerServices;
using CommsHub.Core.Channels.Resilience;
using Polly.CircuitBreaker;

namespace CommsHub.Core.Telemetry;

/// <summary>
/// Every live <see cref="ProviderCircuit"/>, for the circuit gauges. Held weakly: a circuit goes with the
/// sender that made it, and a webhook provider may hold one per target origin, which the gauges sum by
/// provider so no subscriber's address becomes a label.
/// </summary>
internal static class CircuitRegistry
{
    private static readonly ConditionalWeakTable<ProviderCircuit, string> Circuits = new();

    public static void Add(ProviderCircuit circuit, string provider) => Circuits.AddOrUpdate(circuit, provider);

    public static Dictionary<string, List<CircuitState>> ByProvider()
    {
        var states = new Dictionary<string, List<CircuitState>>(StringComparer.Ordinal);
        foreach (var (circuit, provider) in Circuits)
        {
            if (!states.TryGetValue(provider, out var list))
            {
                states[provider] = list = [];
            }
            list.Add(circuit.State);
        }
        return states;
    }
}
