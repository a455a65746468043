using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CommsHub.Core.Channels.Chat;

public static class ChatSetup
{
    public const string HttpClientName = "chat";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Channels:Chat options (validated at start), the "chat" HttpClient, and the Slack, Discord and Teams
    /// webhooks as <c>IEnumerable&lt;IChatWebhook&gt;</c>; an unconfigured one is registered too, with IsConfigured false.
    /// </summary>
    public static IServiceCollection AddCommsHubChat(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        // ValidateDataAnnotations runs ChatOptions.Validate (IValidatableObject) as well.
        services.AddOptions<ChatOptions>().BindConfiguration(ChatOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddHttpClient(HttpClientName)
            .ConfigureHttpClient(client =>
            {
                client.Timeout = Timeout;
                // Answers are "ok", an empty 204 or a short error: anything larger is not a chat provider talking.
                client.MaxResponseContentBufferSize = 1024 * 1024;
            })
            // A redirect would carry the message, and the next hop could be anywhere: the 3xx is reported instead.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
            // The factory's default loggers write each request URI, and a webhook URL's path is its credential.
            .RemoveAllLoggers();

        services.AddSingleton<IChatWebhook, SlackWebhook>();
        services.AddSingleton<IChatWebhook, DiscordWebhook>();
        services.AddSingleton<IChatWebhook, TeamsWebhook>();
        return services;
    }
}
