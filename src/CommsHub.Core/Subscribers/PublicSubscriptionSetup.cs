using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Core.Subscribers;

public static class PublicSubscriptionSetup
{
    /// <summary>The anti-abuse checks in front of the public subscription endpoints (<see cref="PublicSubscriptionGuard"/>).</summary>
    public static IServiceCollection AddPublicSubscriptionGuard(this IServiceCollection services)
    {
        services.AddOptions<PublicSubscriptionOptions>().BindConfiguration(PublicSubscriptionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpClient<CaptchaVerifier>(c => c.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<SelfSubscribedNumbers>();
        services.AddSingleton<AddressThrottle>();
        services.AddSingleton<ConfirmationBudget>();
        services.AddScoped<PublicSubscriptionGuard>();
        return services;
    }
}
