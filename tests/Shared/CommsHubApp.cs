using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Testing;

/// <summary>
/// The real Api host, configured through the same keys an operator uses. Settings go in through
/// UseSetting so Program sees them while it builds the service collection.
/// </summary>
public sealed class CommsHubApp(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key-0123456789abcdefghijklmnop";

    /// <summary>Replaces services after the product registered its own (a fake TimeProvider, say).</summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    private static readonly string[] IsolatedKeys =
    [
        "Roles", "Database:Provider", "ConnectionStrings:CommsHub", "ConnectionStrings:RabbitMq",
        "Channels:Email:From", "Channels:Email:SendGrid:ApiKey", "Channels:Email:SendGrid:EventWebhookPublicKey",
        "Channels:Sms:From", "Channels:Sms:Twilio:AccountSid", "Channels:Sms:Twilio:AuthToken",
        "Channels:Social:Mastodon:InstanceUrl", "Channels:Social:Mastodon:AccessToken",
        "Channels:Social:Bluesky:Identifier", "Channels:Social:Bluesky:AppPassword",
        "Channels:Social:X:ConsumerKey", "Channels:Social:X:ConsumerSecret", "Channels:Social:X:AccessToken", "Channels:Social:X:AccessTokenSecret",
        "Channels:Chat:Slack:WebhookUrl", "Channels:Chat:Discord:WebhookUrl", "Channels:Chat:Teams:WebhookUrl",
    ];

    /// <summary>
    /// One meter factory for every test host of the process, never disposed. MassTransit makes its meter once per
    /// process, from the first host's factory; that host's disposal would otherwise switch MassTransit's metrics
    /// off for every later host (one host per process, as in production, has no such problem).
    /// </summary>
    private static readonly IMeterFactory SharedMeters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.ConfigureTestServices(s => s.AddSingleton(SharedMeters));
        builder.UseEnvironment("Testing");
        // The machine's environment never reaches a test host: every infrastructure and provider
        // key starts empty (in-memory bus, sandboxed or unconfigured channels) unless the test sets it.
        foreach (var key in IsolatedKeys)
        {
            builder.UseSetting(key, "");
        }
        builder.UseSetting("PublicBaseUrl", "https://status.test");
        builder.UseSetting("StatusPage:Name", "Acme Status");
        if (!settings.ContainsKey("Auth:AdminApiKeys:0"))
        {
            builder.UseSetting("Auth:AdminApiKeys:0", AdminKey);
        }
        // Hangfire's workers stop quickly: a test host is disposed many times a run.
        builder.UseSetting("Scheduling:ShutdownTimeout", "00:00:02");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
        if (TestServices is not null)
        {
            builder.ConfigureTestServices(TestServices);
        }
    }

    public HttpClient Admin(string key = AdminKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
