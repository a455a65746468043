using System.Diagnostics;
using System.Diagnostics.Metrics;
using CommsHub.Core.Channels.Resilience;
using CommsHub.Core.Common;
using Polly.CircuitBreaker;

namespace CommsHub.Core.Telemetry;

/// <summary>
/// CommsHub's own instruments (meter and activity source <c>CommsHub</c>), named as Prometheus shows them.
/// Counters and histograms are recorded where the thing happens; gauges read the latest
/// <see cref="TelemetrySampler"/> sample, so a scrape never queries the database itself.
/// </summary>
public static class CommsHubMetrics
{
    public const string Name = "CommsHub";

    public static readonly Meter Meter = new(Name);
    public static readonly ActivitySource Source = new(Name);

    private static readonly InstrumentAdvice<double> Seconds = new()
    {
        HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    };

    private static readonly Counter<long> Deliveries = Meter.CreateCounter<long>("commshub_deliveries",
        description: "Delivery outcomes as recorded, by channel and status (queued = a transient failure waiting for its retry).");

    private static readonly Counter<long> ProviderRequests = Meter.CreateCounter<long>("commshub_provider_requests",
        description: "Requests to a provider, by provider and outcome (accepted, rejected, transient, held).");

    private static readonly Histogram<double> ProviderRequestDuration = Meter.CreateHistogram("commshub_provider_request_duration", "s",
        "How long one provider request took, by provider.", advice: Seconds);

    private static readonly Histogram<double> FanoutDuration = Meter.CreateHistogram("commshub_fanout_duration", "s",
        "How long planning one update's audience took: every delivery written and every send command published.", advice: Seconds);


    static CommsHubMetrics()
    {
        Meter.CreateObservableGauge("commshub_outbox_pending", () => TelemetrySampler.Latest.OutboxPending,
            description: "Outbox rows committed and not yet published to the bus.");
        Meter.CreateObservableGauge("commshub_outbox_oldest_age", () => TelemetrySampler.Latest.OutboxOldestAge, "s",
            "Age of the oldest unpublished outbox row (0 when none).");
        Meter.CreateObservableGauge("commshub_updates_unplanned", () => TelemetrySampler.Latest.UpdatesUnplanned,
            description: "Updates to notify whose audience is not planned yet.");
        Meter.CreateObservableGauge("commshub_updates_unplanned_oldest_age", () => TelemetrySampler.Latest.UnplannedOldestAge, "s",
            "Age of the oldest update still waiting for its fan-out to be planned (0 when none).");
        Meter.CreateObservableGauge("commshub_deliveries_queued", () => TelemetrySampler.Latest.DeliveriesQueued,
            description: "Deliveries not yet accepted by their provider (planned, sending or waiting for a retry).");
        Meter.CreateObservableGauge("commshub_deliveries_in_doubt", () => TelemetrySampler.Latest.DeliveriesInDoubt,
            description: "Deliveries whose sender's lease ran out with no outcome recorded: a request may or may not have gone out.");
        Meter.CreateObservableGauge("commshub_scheduled_actions_late", () => TelemetrySampler.Latest.ScheduledLate,
            description: "Scheduled actions (reminders, maintenance transitions, scheduled updates) past their due time and not fired.");
        Meter.CreateObservableGauge("commshub_scheduled_action_lateness", () => TelemetrySampler.Latest.ScheduledLateness, "s",
            "How far past its due time the latest pending scheduled action is (0 when none is late).");
        Meter.CreateObservableGauge("commshub_audit_unchained", () => TelemetrySampler.Latest.AuditUnchained,
            description: "Audit entries written but not yet chained.");
        Meter.CreateObservableGauge("commshub_audit_chain_lag", () => TelemetrySampler.Latest.AuditChainLag, "s",
            "Age of the oldest audit entry not yet chained (0 when the chain is complete).");
        Meter.CreateObservableGauge("commshub_audit_chain_valid", () => TelemetrySampler.AuditChainBroken ? 0 : 1,
            description: "1 while the last verification of the audit chain found it intact, 0 when it found it broken.");
        Meter.CreateObservableGauge("commshub_telemetry_sample_age", () => TelemetrySampler.Latest.Age, "s",
            "Seconds since the gauges above were last read from the database (large: the sampler cannot reach it).");
        Meter.CreateObservableGauge("commshub_queue_messages", QueueMessages,
            description: "Messages in each RabbitMQ queue, by queue and state (ready, unacked); read from the management API when Metrics:RabbitMqManagementUrl is set.");
        Meter.CreateObservableGauge("commshub_provider_circuit_state", CircuitStates,
            description: "The worst circuit of each provider: 0 closed, 1 half-open, 2 open.");
        Meter.CreateObservableGauge("commshub_provider_circuits_open", OpenCircuits,
            description: "Open circuits per provider (a webhook provider has one per target origin).");
    }

    public static void DeliveryRecorded(Channel channel, DeliveryStatus status, int count)
    {
        if (count > 0)
        {
            Deliveries.Add(count, new("channel", channel.ToWire()), new("status", status.ToWire()));
        }
    }

    public static void ProviderRequest(string provider, string outcome, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("provider", provider);
        ProviderRequests.Add(1, tag, new("outcome", outcome));
        if (outcome != "held")
        {
            ProviderRequestDuration.Record(duration.TotalSeconds, tag);
        }
    }

    public static void FanoutPlanned(TimeSpan duration) => FanoutDuration.Record(duration.TotalSeconds);

    private static IEnumerable<Measurement<long>> QueueMessages() =>
        TelemetrySampler.Latest.Queues.SelectMany(q => new[]
        {
            new Measurement<long>(q.Ready, new("queue", q.Name), new("state", "ready")),
            new Measurement<long>(q.Unacked, new("queue", q.Name), new("state", "unacked")),
        });

    private static IEnumerable<Measurement<int>> CircuitStates() =>
        CircuitRegistry.ByProvider().Select(p => new Measurement<int>(p.Value.Max(Level), new KeyValuePair<string, object?>("provider", p.Key)));

    private static IEnumerable<Measurement<int>> OpenCircuits() =>
        CircuitRegistry.ByProvider().Select(p => new Measurement<int>(p.Value.Count(s => s is CircuitState.Open or CircuitState.Isolated),
            new KeyValuePair<string, object?>("provider", p.Key)));

    private static int Level(CircuitState state) => state switch
    {
        CircuitState.Closed => 0,
        CircuitState.HalfOpen => 1,
        _ => 2,
    };
}
