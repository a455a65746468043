using CommsHub.Core.Channels;
using CommsHub.Core.Channels.Social;
using CommsHub.Core.Common;
using CommsHub.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using CommsHub.Core.Incidents;

namespace CommsHub.Tests.Social;

/// <summary>The social services exactly as the host registers them, over in-memory configuration.</summary>
internal static class SocialServices
{
    public static ServiceProvider Build(Dictionary<string, string?> settings, TimeProvider? time = null, OAuth1Signer? signer = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        if (time is not null)
        {
            services.AddSingleton(time);
        }
        if (signer is not null)
        {
            services.AddSingleton(signer);
        }
        services.AddCommsHubSocial();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public static Dictionary<string, string?> Mastodon(string url) => new()
    {
        ["Channels:Social:Mastodon:InstanceUrl"] = url,
        ["Channels:Social:Mastodon:AccessToken"] = MastodonFake.AccessToken,
    };

    public static Dictionary<string, string?> Bluesky(string url, string password = BlueskyFake.AppPassword) => new()
    {
        ["Channels:Social:Bluesky:ServiceUrl"] = url,
        ["Channels:Social:Bluesky:Identifier"] = BlueskyFake.Handle,
        ["Channels:Social:Bluesky:AppPassword"] = password,
    };

    public static Dictionary<string, string?> X(string url, string consumerSecret = XFake.ConsumerSecret) => new()
    {
        ["Channels:Social:X:BaseUrl"] = url,
        ["Channels:Social:X:ConsumerKey"] = XFake.ConsumerKey,
        ["Channels:Social:X:ConsumerSecret"] = consumerSecret,
        ["Channels:Social:X:AccessToken"] = XFake.AccessToken,
        ["Channels:Social:X:AccessTokenSecret"] = XFake.AccessTokenSecret,
    };
}

internal static class Updates
{
    public const string IncidentUrl = "https://status.example.com/incidents/0193a5f2-7c1e-7d3a-9b1f-3c5e8a2d4f60";

    public static UpdateContent Content(
        string message = "We are investigating reports of videos failing to start.",
        IncidentStatus status = IncidentStatus.Investigating,
        string title = "Video playback outage",
        string url = IncidentUrl) =>
        new("Acme Status", "https://status.example.com", Guid.Parse("0193a5f2-7c1e-7d3a-9b1f-3c5e8a2d4f60"), title, url, status, Impact.Major,
            message, new DateTimeOffset(2026, 3, 14, 9, 26, 53, 589, TimeSpan.Zero), []);

    /// <summary>A delivery id as the product makes them (UUIDv7): the idempotency key.</summary>
    public static string DeliveryId() => Guid.CreateVersion7().ToString();
}

/// <summary>A clock that stands still, for Retry-After dates and OAuth timestamps.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
