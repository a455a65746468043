namespace CommsHub.Core.Hosting;

/// <summary>The <c>Shutdown</c> configuration section: how a process stops on SIGTERM (every deploy of a rolling update).</summary>
public sealed class ShutdownOptions
{
    public const string Section = "Shutdown";

    /// <summary>Left for what stops after the bus (Hangfire, the database pools) within <see cref="Timeout"/>.</summary>
    public static readonly TimeSpan AfterBus = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a stopping process may take before the host gives up waiting (<c>HostOptions.ShutdownTimeout</c>).
    /// Longer than <see cref="ConsumerGrace"/> plus the slowest provider request (SendGrid's and Twilio's
    /// 30 s time-outs) plus its commit, so a request on the wire is always answered and recorded. The
    /// orchestrator's grace (Kubernetes' <c>terminationGracePeriodSeconds</c>, compose's <c>stop_grace_period</c>)
    /// must be longer still: see docs/operations.md.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(40);

    /// <summary>
    /// How long a message being handled may go on after SIGTERM before it is told to stop: then a sender
    /// starts no new request, lets those on the wire finish and record, and hands back what it never
    /// tried, for the next process. Without it a batch runs to its end (an SMS batch at the default rate
    /// takes 40 s) and the stop outlasts any grace period.
    /// </summary>
    public TimeSpan ConsumerGrace { get; set; } = TimeSpan.FromSeconds(1);

    public bool IsValid => ConsumerGrace >= TimeSpan.Zero && Timeout >= ConsumerGrace + AfterBus + AfterBus;
}
