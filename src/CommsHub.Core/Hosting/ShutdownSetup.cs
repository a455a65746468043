using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Hosting;

public static class ShutdownSetup
{
    /// <summary>The host's shutdown timeout and the bus's stop, from <see cref="ShutdownOptions"/>.</summary>
    public static IServiceCollection AddCommsHubShutdown(this IServiceCollection services)
    {
        services.AddOptions<ShutdownOptions>().BindConfiguration(ShutdownOptions.Section)
            .Validate(o => o.IsValid, "Shutdown:Timeout must exceed Shutdown:ConsumerGrace by at least 10 s, such as 00:00:40 and 00:00:01: "
                                      + "requests already sent need time to be answered and recorded.")
            .ValidateOnStart();
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) => host.ShutdownTimeout = shutdown.Value.Timeout);
        services.AddOptions<MassTransitHostOptions>().Configure<IOptions<ShutdownOptions>>((bus, shutdown) =>
        {
            bus.ConsumerStopTimeout = shutdown.Value.ConsumerGrace;
            // The bus stops within the host's time-out, leaving time for what stops after it; had it not
            // stopped by then, the host would be torn down under consumers still recording.
            bus.StopTimeout = shutdown.Value.Timeout - ShutdownOptions.AfterBus;
        });
        return services;
    }
}
