using CommsHub.Core.Auth;
using CommsHub.Core.Auth.Operators;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Channels.Webhook;
using CommsHub.Core.Channels.Social;
using CommsHub.Core.Channels.Chat;
using CommsHub.Core.Common;
using CommsHub.Core.Subscribers;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Incidents;
using CommsHub.Core.Messaging;
using CommsHub.Core.Scheduling;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

using CommsHub.Core.Telemetry;

namespace CommsHub.Core.Hosting;

public static class CommsHubServices
{
    public const string ReadyTag = "ready";

    /// <summary>Everything both hosts share: data, channels, the bus, the outbox dispatcher.</summary>
    /// <param name="configureBus">Consumers a host adds for itself (the API's status-page refresher).</param>
    public static IServiceCollection AddCommsHub(this IServiceCollection services, IConfiguration configuration, CommsHubRoles roles,
        Action<MassTransit.IBusRegistrationConfigurator>? configureBus = null)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(roles);
        services.AddMemoryCache();
        services.AddCommsHubTelemetry(configuration, roles);

        services.AddOptions<CommsHubOptions>()
            .Configure(o =>
            {
                o.PublicBaseUrl = configuration["PublicBaseUrl"] ?? "";
                o.PageName = configuration["StatusPage:Name"] ?? o.PageName;
            })
            .PostConfigure(o =>
            {
                if (string.IsNullOrWhiteSpace(o.PublicBaseUrl))
                {
                    o.PublicBaseUrl = FirstUrl(configuration["urls"] ?? configuration["ASPNETCORE_URLS"]) ?? "http://localhost:5000";
                }
            })
            .Validate(o => Uri.TryCreate(o.PublicBaseUrl, UriKind.Absolute, out _), "PublicBaseUrl must be an absolute URL such as https://status.example.com.")
            .ValidateOnStart();

        services.AddCommsHubDatabase(configuration);
        services.AddCommsHubDataProtection(configuration);
        services.AddSingleton<AddressHasher>();
        services.AddOptions<SubscriptionOptions>().BindConfiguration(SubscriptionOptions.Section);
        services.AddSingleton<SubscriptionTokens>();
        services.AddPublicSubscriptionGuard();
        services.AddSingleton<UnsubscribeLinks>();

        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpClient(SendGridEmailSender.HttpClientName)
            .ConfigureHttpClient((sp, c) => c.Timeout = sp.GetRequiredService<IOptions<EmailOptions>>().Value.SendGrid.Timeout);
        services.AddSingleton<IEmailSender>(sp => sp.GetRequiredService<IOptions<EmailOptions>>().Value.Sandboxed
            ? new SandboxEmailSender()
            : ActivatorUtilities.CreateInstance<SendGridEmailSender>(sp));

        services.AddCommsHubSms();
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddWebhookHttpClient();
        services.AddSingleton<WebhookPoster>();
        services.AddSingleton<SmsRateBudget>();
        services.AddCommsHubSocial();
        services.AddCommsHubChat();
        services.AddSingleton<Accounts>();
        services.AddSingleton<Channels.Resilience.NamedCircuits>();
        services.AddScoped<Channels.Webhook.WebhookBodies>();
        services.AddScoped<Subscribers.WebhookEndpoints>();

        services.AddScoped<UpdateContentLoader>();
        services.AddScoped<DeliveryLeases>();
        services.AddSingleton<OutcomeRecorder>();
        services.AddScoped<IncidentService>();
        services.AddScoped<IncidentCorrections>();
        services.AddScoped<Postmortems>();
        services.AddScoped<IncidentTemplates>();
        services.AddScoped<Components.ComponentService>();
        services.AddSingleton<StatusPage.StatusChangeSignal>();
        services.AddScoped<SubscriberService>();
        services.AddSingleton<SubscriberSecrets>();
        services.AddSingleton<SubscriberAddresses>();
        services.AddScoped<SmsInbox>();
        services.AddScoped<SubscriberImport>();
        services.AddScoped<ConfirmationMessages>();
        services.AddScoped<OutboundMessages>();
        services.AddScoped<Campaigns.AudienceImport>();
        services.AddScoped<Campaigns.CodePoolImport>();
        services.AddScoped<Campaigns.CodeAssignment>();
        services.AddScoped<Campaigns.CampaignOptOuts>();
        services.AddScoped<Campaigns.CampaignMessages>();
        services.AddScoped<IPersonalContent>(sp => sp.GetRequiredService<Campaigns.CampaignMessages>());
        services.AddScoped<Campaigns.CampaignService>();
        services.AddScoped<Campaigns.CampaignTally>();
        services.AddScoped<DeliveryQueries>();
        services.AddScoped<DeliveryTallies>();
        services.AddScoped<DeliveryEvents>();
        services.AddScoped<Deliveries.ProviderEvents.SendGridEventHandler>();
        services.AddScoped<Deliveries.ProviderEvents.TwilioStatusHandler>();
        services.AddSingleton<Channels.Email.EventWebhook.SendGridEventWebhookValidation>();
        services.AddSingleton<IValidateOptions<EmailOptions>, Channels.Email.EventWebhook.EventWebhookKeyValidation>();
        services.AddCommsHubAuth(roles);
        services.AddCommsHubOperators();

        services.AddOptions<OutboxOptions>().BindConfiguration("Outbox");
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());

        services.AddOptions<RedriveOptions>().BindConfiguration("Deliveries:Redrive");
        services.AddOptions<LeaseOptions>().Configure<IConfiguration>((o, c) =>
        {
            if (c.GetValue<TimeSpan?>("Deliveries:LeaseDuration") is { } duration)
            {
                o.Duration = duration > TimeSpan.Zero ? duration
                    : throw new InvalidOperationException($"Deliveries:LeaseDuration '{duration}' must be positive, e.g. 00:02:00.");
            }
        });
        services.AddSingleton<DeliveryRedrive>();
        services.AddScoped<IUnplannedWork, UnplannedUpdates>();
        services.AddScoped<IUnplannedWork, Campaigns.StalledCampaigns>();
        services.AddScoped<FaultedCommands>();
        services.AddScoped<OperatorNotifier>();
        services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.Section);
        services.AddSingleton<AlertThrottle>();
        services.AddScoped<PoisonAlerts>();
        services.AddOptions<Scheduling.RetentionOptions>().BindConfiguration(Scheduling.RetentionOptions.Section);
        services.AddScoped<StatusPage.UptimeRollup>();
        services.AddScoped<Audit.AuditChain>();
        services.AddCommsHubScheduling(configuration, roles);

        services.AddOptions<StatusPage.StatusPageOptions>().BindConfiguration(StatusPage.StatusPageOptions.Section)
            .Validate(o => TimeZoneInfo.TryFindSystemTimeZoneById(o.TimeZone, out _), "StatusPage:TimeZone must be an IANA time zone such as Europe/Berlin or Etc/UTC.")
            .ValidateOnStart();
        services.AddScoped<StatusPage.StatusDataLoader>();

        services.AddCommsHubBus(configuration, roles, configureBus);
        services.AddCommsHubShutdown();
        services.AddHealthChecks().AddDbContextCheck<CommsHubDbContext>("database", HealthStatus.Unhealthy, [ReadyTag]);
        return services;
    }

    private static string? FirstUrl(string? urls) =>
        urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()?
            .Replace("://*", "://localhost", StringComparison.Ordinal)
            .Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal);
}
