using CommsHub.Testing;
using FanOutBench.Driver;
using FanOutBench.Fakes;

namespace CommsHub.IntegrationTests;

/// <summary>
/// The fan-out benchmark's driver and Kestrel provider fakes (bench/fanout/FanOutBench, what
/// bench/run.sh runs at 10,000 to 1,000,000 recipients), here at a tiny size against an in-process
/// CommsHub on PostgreSQL and RabbitMQ: correctness only, never speed. Keeps the harness honest (its
/// import, publish, wait and exactly-once checks work against the product as it is) and the product
/// honest at the harness's level (every recipient reached once, every delivery settled).
/// </summary>
public sealed class FanOutHarnessTests : IAsyncLifetime
{
    private Infrastructure _infra = null!;
    private ProviderFakes _fakes = null!;

    public async Task InitializeAsync()
    {
        _infra = await Infrastructure.CreateAsync();
        _fakes = await ProviderFakes.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _fakes.DisposeAsync();
        await _infra.DisposeAsync();
    }

    private CommsHubApp StartApp()
    {
        var settings = _infra.Settings();
        settings["Channels:Email:SendGrid:ApiKey"] = ProviderFakes.SendGridKey;
        settings["Channels:Email:SendGrid:BaseUrl"] = _fakes.Url;
        settings["Channels:Email:From"] = "Bench <bench@example.com>";
        settings["Channels:Sms:Twilio:AccountSid"] = ProviderFakes.TwilioAccountSid;
        settings["Channels:Sms:Twilio:AuthToken"] = ProviderFakes.TwilioAuthToken;
        settings["Channels:Sms:Twilio:BaseUrl"] = _fakes.Url;
        settings["Channels:Sms:From"] = "+12025550100";
        settings["Channels:Sms:MessagesPerSecond"] = "1000";
        settings["Webhooks:AllowPrivateTargets"] = "true";
        var app = new CommsHubApp(settings);
        _ = app.Server; // start the host: migrations, bus, dispatcher
        return app;
    }

    private async Task<Verification> FanOutAsync(CommsHubApp app, Audience audience)
    {
        using var api = app.Admin();
        var driver = new FanOutDriver(api, _infra.PostgresConnectionString, _fakes);
        var imported = await driver.ImportAsync(audience, chunk: 400);
        Assert.Equal(audience.Total, imported.Sum(i => i.Count));

        var publication = await driver.PublishAsync(audience, "Harness smoke test");
        await driver.WaitAsync(publication, audience, TimeSpan.FromSeconds(60));
        // A second of settling: a duplicate send would arrive meanwhile.
        return await driver.VerifyAsync(publication, audience, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task The_harness_reaches_1000_imported_email_subscribers_exactly_once_and_every_delivery_settles()
    {
        await using var app = StartApp();
        var audience = new Audience(Email: 1000, Sms: 0, Webhook: 0);

        var verification = await FanOutAsync(app, audience);

        Assert.True(verification.ExactlyOnce, string.Join("; ", verification.Problems));
        var email = Assert.Single(verification.Channels);
        Assert.Equal(1000, email.Fake.Unique);
        Assert.Equal(1000, email.Fake.Recipients);
        Assert.Equal(1, email.Fake.Requests); // one SendGrid request carries up to 1,000 personalizations
        Assert.Equal(1000, email.Sent);
        Assert.Equal(0, email.Queued);
        Assert.Equal(1, email.DistinctProviderIds);
    }

    [Fact]
    public async Task The_harness_reaches_sms_and_webhook_subscribers_exactly_once_through_the_real_sdks()
    {
        await using var app = StartApp();
        var audience = new Audience(Email: 0, Sms: 120, Webhook: 30);

        var verification = await FanOutAsync(app, audience);

        Assert.True(verification.ExactlyOnce, string.Join("; ", verification.Problems));
        Assert.All(verification.Channels, c =>
        {
            Assert.Equal(c.Expected, c.Fake.Requests); // one request per SMS and per webhook
            Assert.Equal(c.Expected, c.Sent);
        });
        Assert.Equal(120, verification.Channels.Single(c => c.Channel == "sms").DistinctProviderIds); // every Twilio sid recorded
    }
}
