using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CommsHub.Core.Hosting;

/// <summary>The <c>Shutdown</c> configuration section: how a process stops on SIGTERM (every deploy of a rolling update).</summary>
public sealed class ShutdownOptions
{
    public const string Section = "Shutdown";

    /// <summary>
    /// How long a stopping process may take before the host gives up waiting (<c>HostOptions.ShutdownTimeout</c>).
    /// Longer than <see cref="ConsumerGrace"/> plus the slowest provider request (SendGrid's and Twilio's
    /// 30 s time-outs) plus its commit, so a request on the wire is always answered and recorded. The
    /// orchestrator's grace (Kubernetes' <c>terminationGracePeriodSeconds</c>, compose's <c>stop_grace_period</c>)
    /// must be longer still: see docs/operations.md.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(40);

    /// <summary>
    /// How long a send command being handled may go on after SIGTERM before it is told to stop: then a
    /// sender starts no new request, lets those on the wire finish and record, and hands back what it
    /// never tried, for the next process. Without it a batch runs to its end (an SMS batch at the default
    /// rate takes 40 s) and the stop outlasts any grace period.
    /// </summary>
    public TimeSpan ConsumerGrace { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Left for what stops after the bus (Hangfire, the database pools) within <see cref="Timeout"/>.</summary>
    internal static readonly TimeSpan AfterBus = TimeSpan.FromSeconds(5);
}

public static class ShutdownSetup
{
    public static IServiceCollection AddCommsHubShutdown(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(ShutdownOptions.Section).Get<ShutdownOptions>() ?? new ShutdownOptions();
        if (options.ConsumerGrace < TimeSpan.Zero || options.Timeout < options.ConsumerGrace + ShutdownOptions.AfterBus + ShutdownOptions.AfterBus)
        {
            throw new InvalidOperationException("Shutdown:Timeout must exceed Shutdown:ConsumerGrace by at least 10 s, such as 00:00:40 and 00:00:01: "
                                                + "requests already sent need time to be answered and recorded.");
        }
        services.Configure<HostOptions>(o => o.ShutdownTimeout = options.Timeout);
        services.Configure<MassTransitHostOptions>(o =>
        {
            o.ConsumerStopTimeout = options.ConsumerGrace;
            // The bus stops within the host's time-out, leaving time for what stops after it; had it not
            // stopped by then, the host would be torn down under consumers still recording.
            o.StopTimeout = options.Timeout - ShutdownOptions.AfterBus;
        });
        return services;
    }
}
