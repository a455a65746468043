namespace CommsHub.Tests.Observability;

/// <summary>
/// Tests that read MassTransit's spans and metrics run alone: MassTransit keeps its log context (and the
/// activity source and meter with it) in a static, set by the last bus to start, so another test host
/// starting or stopping meanwhile would take them over. One host per process, as in production, has no such race.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BusTelemetryCollection
{
    public const string Name = "Bus telemetry";
}
