namespace CommsHub.Core.Telemetry;

/// <summary><c>Metrics:*</c>: what /metrics serves and how often the database-backed gauges are read.</summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>Serve Prometheus metrics at <c>/metrics</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><see cref="Enabled"/>, read while services are still being registered (before options can be resolved).</summary>
    public static bool IsEnabled(Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        Microsoft.Extensions.Configuration.ConfigurationBinder.GetValue(configuration, $"{Section}:{nameof(Enabled)}", true);

    /// <summary>How often the gauges that read the database (outbox, fan-out, scheduling, audit) are sampled: a scrape never queries.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the whole audit chain is verified for <c>commshub_audit_chain_valid</c>; zero turns it off.</summary>
    public TimeSpan AuditVerifyInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The RabbitMQ management API (<c>http://host:15672</c>), for queue depths; the credentials are the
    /// URL's own, else those of <c>ConnectionStrings:RabbitMq</c>. Empty: no queue depths.
    /// </summary>
    public string? RabbitMqManagementUrl { get; set; }
}
