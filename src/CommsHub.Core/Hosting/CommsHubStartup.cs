using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Core.Hosting;

/// <summary>What every process does before it serves: migrate (unless told not to), load shared secrets.</summary>
public static class CommsHubStartup
{
    public static async Task InitializeAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        if (services.GetRequiredService<IConfiguration>().GetValue("Database:MigrateOnStart", true))
        {
            await DatabaseSetup.MigrateAsync(services, cancellationToken);
        }
        await services.GetRequiredService<AddressHasher>().InitializeAsync(services, cancellationToken);
    }
}
