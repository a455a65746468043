using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Channels.Sms;

public static class SmsSetup
{
    /// <summary>
    /// SMS options (validated at start), the "twilio" HttpClient aimed at Channels:Sms:Twilio:BaseUrl,
    /// the Twilio or sandbox <see cref="ISmsSender"/> (a singleton: Twilio's circuit lives in it), and webhook signature checking.
    /// </summary>
    public static IServiceCollection AddCommsHubSms(this IServiceCollection services)
    {
        // ValidateDataAnnotations runs SmsOptions.Validate (IValidatableObject) as well.
        services.AddOptions<SmsOptions>().BindConfiguration(SmsOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddTransient<TwilioBaseUrlHandler>();
        services.AddHttpClient(TwilioSmsSender.HttpClientName)
            .ConfigureHttpClient((sp, c) => c.Timeout = sp.GetRequiredService<IOptions<SmsOptions>>().Value.Twilio.Timeout)
            .AddHttpMessageHandler<TwilioBaseUrlHandler>();

        services.AddSingleton<ISmsSender>(sp => sp.GetRequiredService<IOptions<SmsOptions>>().Value.Sandboxed
            ? new SandboxSmsSender()
            : ActivatorUtilities.CreateInstance<TwilioSmsSender>(sp));
        services.AddSingleton<TwilioRequestValidation>();
        return services;
    }
}
