using CommsHub.Core.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Core.Auth;

public static class AuthSetup
{
    /// <summary>API keys: configured ones checked at start (both hosts read the same settings), the stored ones kept fresh where HTTP is served.</summary>
    public static IServiceCollection AddCommsHubAuth(this IServiceCollection services, CommsHubRoles roles)
    {
        services.AddOptions<ApiKeyOptions>().BindConfiguration(ApiKeyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ApiKeyStore>();
        services.AddScoped<ApiKeys>();
        if (roles.Api)
        {
            services.AddHostedService<ApiKeyRefresher>();
        }
        return services;
    }
}
