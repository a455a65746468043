using System.Text.Json.Nodes;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace CommsHub.IntegrationTests;

/// <summary>
/// One call reaches email, SMS, Mastodon, Bluesky, X, Slack, Discord, Teams and webhook
/// subscribers, each within its limits, on PostgreSQL + RabbitMQ with every provider's fake; the
/// follow-up is threaded on each network.
/// </summary>
public sealed class EveryChannelTests : IAsyncLifetime
{
    private readonly SendGridFake _sendGrid = new();
    private readonly TwilioFake _twilio = new();
    private readonly MastodonFake _mastodon = new();
    private readonly BlueskyFake _bluesky = new();
    private readonly XFake _x = new();
    private readonly ChatWebhookFake _chat = new();
    private readonly WireMockServer _receiver = WireMockServer.Start();
    private Infrastructure _infra = null!;
    private CommsHubApp _app = null!;

    public async Task InitializeAsync()
    {
        _receiver.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        _infra = await Infrastructure.CreateAsync();
        var settings = _infra.Settings();
        foreach (var (k, v) in new Dictionary<string, string?>
        {
            ["Channels:Email:SendGrid:ApiKey"] = "SG.integration",
            ["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url,
            ["Channels:Email:From"] = "status@acme.example",
            ["Channels:Sms:Twilio:AccountSid"] = TwilioFake.AccountSid,
            ["Channels:Sms:Twilio:AuthToken"] = TwilioFake.AuthToken,
            ["Channels:Sms:Twilio:BaseUrl"] = _twilio.Url,
            ["Channels:Sms:From"] = "+15005550006",
            ["Channels:Social:Mastodon:InstanceUrl"] = _mastodon.Url,
            ["Channels:Social:Mastodon:AccessToken"] = MastodonFake.AccessToken,
            ["Channels:Social:Bluesky:ServiceUrl"] = _bluesky.Url,
            ["Channels:Social:Bluesky:Identifier"] = BlueskyFake.Handle,
            ["Channels:Social:Bluesky:AppPassword"] = BlueskyFake.AppPassword,
            ["Channels:Social:X:BaseUrl"] = _x.Url,
            ["Channels:Social:X:ConsumerKey"] = XFake.ConsumerKey,
            ["Channels:Social:X:ConsumerSecret"] = XFake.ConsumerSecret,
            ["Channels:Social:X:AccessToken"] = XFake.AccessToken,
            ["Channels:Social:X:AccessTokenSecret"] = XFake.AccessTokenSecret,
            ["Webhooks:AllowPrivateTargets"] = "true",
        }.Concat(_chat.Configuration))
        {
            settings[k] = v;
        }
        _app = new CommsHubApp(settings);
        _ = _app.Server;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        foreach (var fake in new IDisposable[] { _sendGrid, _twilio, _mastodon, _bluesky, _x, _chat })
        {
            fake.Dispose();
        }
        _receiver.Stop();
        await _infra.DisposeAsync();
    }

    private async Task<List<(Channel Channel, DeliveryStatus Status, string? ProviderMessageId)>> DeliveriesAsync(string updateId)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<CommsHubDbContext>().Deliveries.AsNoTracking()
                .Where(d => d.UpdateId == Guid.Parse(updateId)).Select(d => new { d.Channel, d.Status, d.ProviderMessageId }).ToListAsync())
            .Select(d => (d.Channel, d.Status, d.ProviderMessageId)).ToList();
    }

    [Fact]
    public async Task One_call_reaches_every_channel_within_its_limits_and_follow_ups_are_threaded()
    {
        using var admin = _app.Admin();
        await admin.SubscribeAsync("viewer@example.com");
        await admin.PostAsync("/api/subscribers", new { phone = "+12025550101", confirmed = true });
        await admin.PostAsync("/api/subscribers", new { webhookUrl = _receiver.Url + "/hooks", confirmed = true });
        var message = string.Join(' ', Enumerable.Repeat("Video playback fails for most viewers on every device; we are investigating with our CDN partner.", 12));

        var incident = await admin.PostAsync("/api/incidents", new { title = "Streaming outage", message, impact = "critical" });
        var first = incident["updates"]![0]!["id"]!.GetValue<string>();
        await Eventually.HoldsAsync(async () => (await DeliveriesAsync(first)).Count(d => d.Status == DeliveryStatus.Sent) == 9,
            "9 deliveries are sent: email, sms, webhook, 3 social, 3 chat", TimeSpan.FromSeconds(60));

        var deliveries = await DeliveriesAsync(first);
        Assert.Equal([(Channel.Chat, 3), (Channel.Email, 1), (Channel.Sms, 1), (Channel.Social, 3), (Channel.Webhook, 1)],
            deliveries.GroupBy(d => d.Channel).Select(g => (g.Key, g.Count())).OrderBy(g => g.Key.ToWire()).ToList());
        var url = $"https://status.test/incidents/{incident["id"]}";

        Assert.Contains(message, _sendGrid.Requests.Single().Content("text/plain"));
        var sms = SmsRenderer.Measure(_twilio.Requests.Single().Body!);
        Assert.True(sms.Segments <= 2);
        Assert.EndsWith(url, _twilio.Requests.Single().Body);
        var toot = _mastodon.Requests.Single();
        Assert.EndsWith(url, toot.Text);
        Assert.True(toot.Text!.Length - url.Length + 23 <= 500);
        var skeet = _bluesky.Calls("com.atproto.repo.createRecord").Single().Record!;
        Assert.EndsWith(url, skeet["text"]!.GetValue<string>());
        Assert.True(new System.Globalization.StringInfo(skeet["text"]!.GetValue<string>()).LengthInTextElements <= 300);
        var tweet = _x.Requests.Single();
        Assert.Equal(201, tweet.Status);
        Assert.EndsWith(url, tweet.Text);
        Assert.Single(_chat.Posts("slack"));
        Assert.Single(_chat.Posts("discord"));
        Assert.Single(_chat.Posts("teams"));
        Assert.Equal("Streaming outage", JsonNode.Parse(_receiver.LogEntries.Single().RequestMessage.Body!)!["incident"]!["name"]!.GetValue<string>());

        // The follow-up replies to the first post on each network.
        var update = await admin.PostAsync($"/api/incidents/{incident["id"]}/updates", new { message = "Playback is recovering.", status = "monitoring" });
        var second = update["id"]!.GetValue<string>();
        await Eventually.HoldsAsync(async () => (await DeliveriesAsync(second)).Count(d => d.Status == DeliveryStatus.Sent) == 9,
            "the follow-up is sent everywhere", TimeSpan.FromSeconds(60));
        Assert.Equal(toot.StatusId, _mastodon.Requests[^1].InReplyToId);
        Assert.Equal(tweet.TweetId, _x.Requests[^1].InReplyToTweetId);
        var reply = _bluesky.Calls("com.atproto.repo.createRecord")[^1].Record!["reply"]!;
        var root = _bluesky.Records.Values.Single(r => r.Value["reply"] is null);
        Assert.Equal(root.Uri, reply["root"]!["uri"]!.GetValue<string>());
        Assert.Equal(root.Cid, reply["parent"]!["cid"]!.GetValue<string>());

        var report = await admin.GetJsonAsync($"/api/updates/{second}/report");
        Assert.Equal(9, report["audience"]!.GetValue<int>());
        Assert.Equal(3, report["channels"]!["social"]!["sent"]!.GetValue<int>());
    }
}
