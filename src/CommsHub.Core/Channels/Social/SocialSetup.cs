using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Channels.Social;

public static class SocialSetup
{
    /// <summary>
    /// Mastodon, Bluesky and X: options validated at start, a named HttpClient each with its time-out,
    /// and all three as singleton <see cref="ISocialNetwork"/>s (each also as itself), configured or not:
    /// callers post only to those whose <see cref="ISocialNetwork.IsConfigured"/> is true.
    /// </summary>
    public static IServiceCollection AddCommsHubSocial(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(MastodonNetwork)))
        {
            return services;
        }
        // ValidateDataAnnotations runs each options class's IValidatableObject.Validate as well.
        services.AddOptions<MastodonOptions>().BindConfiguration(MastodonOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<BlueskyOptions>().BindConfiguration(BlueskyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<XOptions>().BindConfiguration(XOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddHttpClient(MastodonNetwork.HttpClientName)
            .ConfigureHttpClient((sp, c) => c.Timeout = sp.GetRequiredService<IOptions<MastodonOptions>>().Value.Timeout);
        services.AddHttpClient(BlueskyNetwork.HttpClientName)
            .ConfigureHttpClient((sp, c) => c.Timeout = sp.GetRequiredService<IOptions<BlueskyOptions>>().Value.Timeout);
        services.AddHttpClient(XNetwork.HttpClientName)
            .ConfigureHttpClient((sp, c) => c.Timeout = sp.GetRequiredService<IOptions<XOptions>>().Value.Timeout);

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new OAuth1Signer(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<MastodonNetwork>();
        services.AddSingleton<BlueskyNetwork>();
        services.AddSingleton<XNetwork>();
        services.AddSingleton<ISocialNetwork>(sp => sp.GetRequiredService<MastodonNetwork>());
        services.AddSingleton<ISocialNetwork>(sp => sp.GetRequiredService<BlueskyNetwork>());
        services.AddSingleton<ISocialNetwork>(sp => sp.GetRequiredService<XNetwork>());
        return services;
    }
}
