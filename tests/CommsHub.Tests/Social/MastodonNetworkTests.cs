using CommsHub.Core.Channels.Social;
using CommsHub.Core.Common;
using CommsHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Social;

/// <summary>Mastodon against a loopback fake: the exact request, threading, idempotent retries, and how answers map.</summary>
public sealed class MastodonNetworkTests : IDisposable
{
    private readonly MastodonFake _mastodon = new();
    private readonly List<ServiceProvider> _providers = [];

    public void Dispose()
    {
        _providers.ForEach(p => p.Dispose());
        _mastodon.Dispose();
    }

    [Fact]
    public async Task A_first_post_is_a_public_status_with_bearer_auth_and_the_delivery_as_idempotency_key()
    {
        var mastodon = Network();
        var content = Updates.Content();
        var delivery = Updates.DeliveryId();

        var posted = await mastodon.PostAsync(mastodon.Render(content, false), content, null, delivery, default);

        var request = Assert.Single(_mastodon.Requests);
        Assert.Equal("/api/v1/statuses", request.Path);
        Assert.Equal($"Bearer {MastodonFake.AccessToken}", request.Authorization);
        Assert.Equal(delivery, request.IdempotencyKey);
        Assert.StartsWith("application/json", request.ContentType);
        Assert.Equal(mastodon.Render(content, false).Text, request.Text);
        Assert.Equal("public", request.Visibility);
        Assert.Null(request.Body!["in_reply_to_id"]);

        Assert.Equal(DeliveryStatus.Sent, posted.Result.Status);
        Assert.Equal("mastodon", posted.Result.Provider);
        Assert.Equal(200, posted.Result.HttpStatus);
        Assert.Equal(request.StatusId, posted.Post!.Id);
        Assert.Equal(request.StatusId, posted.Result.ProviderMessageId);
        Assert.Equal(posted.Post, SocialPostRef.Parse(posted.Result.ProviderMessageId));
        Assert.True(posted.Result.Latency > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_follow_up_replies_to_the_incident_s_latest_post()
    {
        var mastodon = Network();
        var first = await mastodon.PostAsync(mastodon.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default);
        var second = await mastodon.PostAsync(mastodon.Render(Updates.Content("Cause found."), true), Updates.Content("Cause found."),
            new SocialThread(first.Post!, first.Post!), Updates.DeliveryId(), default);
        var third = await mastodon.PostAsync(mastodon.Render(Updates.Content("Fixed."), true), Updates.Content("Fixed."),
            new SocialThread(first.Post!, second.Post!), Updates.DeliveryId(), default);

        Assert.Equal([null, first.Post!.Id, second.Post!.Id], _mastodon.Requests.Select(r => r.InReplyToId));
        Assert.Equal(DeliveryStatus.Sent, third.Result.Status);
    }

    [Fact]
    public async Task A_retried_delivery_sends_the_same_idempotency_key_and_creates_one_status()
    {
        _mastodon.Answer = n => n == 1 ? (503, null) : null;
        var mastodon = Network();
        var content = Updates.Content();
        var delivery = Updates.DeliveryId();

        var failed = await mastodon.PostAsync(mastodon.Render(content, false), content, null, delivery, default);
        var retried = await mastodon.PostAsync(mastodon.Render(content, false), content, null, delivery, default);
        var redelivered = await mastodon.PostAsync(mastodon.Render(content, false), content, null, delivery, default);

        Assert.Equal([delivery, delivery, delivery], _mastodon.Requests.Select(r => r.IdempotencyKey));
        Assert.Equal(DeliveryStatus.Queued, failed.Result.Status);
        Assert.True(failed.Result.Transient);
        Assert.Equal(DeliveryStatus.Sent, retried.Result.Status);
        Assert.Equal(retried.Post, redelivered.Post);
        Assert.Equal(1, _mastodon.StatusesCreated);
    }

    [Fact]
    public async Task Throttling_is_retried_after_the_seconds_Retry_After_gives()
    {
        _mastodon.Answer = _ => (429, new Dictionary<string, string> { ["Retry-After"] = "30" });

        var result = (await Post()).Result;

        Assert.Equal(DeliveryStatus.Queued, result.Status);
        Assert.True(result.Transient);
        Assert.Equal(429, result.HttpStatus);
        Assert.Equal(TimeSpan.FromSeconds(30), result.RetryAfter);
        Assert.Equal("Mastodon answered 429: Too many requests", result.Error);
        Assert.Null(result.ProviderMessageId);
    }

    [Fact]
    public async Task Retry_After_as_an_HTTP_date_and_Mastodon_s_ISO_reset_time_are_both_understood()
    {
        var now = new DateTimeOffset(2026, 3, 14, 9, 0, 0, TimeSpan.Zero);
        _mastodon.Answer = n => n == 1
            ? (429, new Dictionary<string, string> { ["Retry-After"] = "Sat, 14 Mar 2026 09:02:00 GMT" })
            : (429, new Dictionary<string, string> { ["X-RateLimit-Reset"] = "2026-03-14T09:05:00.000Z" });
        var mastodon = Network(new FixedTime(now));

        var byDate = await mastodon.PostAsync(mastodon.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default);
        var byReset = await mastodon.PostAsync(mastodon.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default);

        Assert.Equal(TimeSpan.FromMinutes(2), byDate.Result.RetryAfter);
        Assert.Equal(TimeSpan.FromMinutes(5), byReset.Result.RetryAfter);
    }

    [Fact]
    public async Task A_validation_refusal_fails_permanently_with_Mastodon_s_reason()
    {
        _mastodon.Answer = _ => (422, null);

        var result = (await Post()).Result;

        Assert.Equal(DeliveryStatus.Failed, result.Status);
        Assert.False(result.Transient);
        Assert.Equal(422, result.HttpStatus);
        Assert.Equal("Mastodon answered 422: Validation failed: Text character limit of 500 exceeded", result.Error);
        Assert.Null(result.RetryAfter);
    }

    [Fact]
    public async Task A_revoked_token_fails_permanently()
    {
        var mastodon = Network(settings: new() { ["Channels:Social:Mastodon:AccessToken"] = "revoked" });

        var result = await mastodon.PostAsync(mastodon.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default);

        Assert.Equal("Bearer revoked", Assert.Single(_mastodon.Requests).Authorization);
        Assert.Equal(DeliveryStatus.Failed, result.Result.Status);
        Assert.Equal("Mastodon answered 401: The access token is invalid", result.Result.Error);
    }

    [Fact]
    public async Task A_proxy_error_page_is_retried_with_its_status()
    {
        _mastodon.Answer = _ => (502, null);

        var result = (await Post()).Result;

        Assert.Equal(DeliveryStatus.Queued, result.Status);
        Assert.True(result.Transient);
        Assert.Equal(502, result.HttpStatus);
        Assert.StartsWith("Mastodon answered 502: <html>", result.Error);
    }

    [Fact]
    public async Task An_unreachable_server_is_retried()
    {
        var url = _mastodon.Url;
        _mastodon.Server.Stop();

        var result = (await Post(Network(settings: new() { ["Channels:Social:Mastodon:InstanceUrl"] = url }))).Result;

        Assert.Equal(DeliveryStatus.Queued, result.Status);
        Assert.True(result.Transient);
        Assert.Null(result.HttpStatus);
        Assert.StartsWith("Mastodon unreachable: ", result.Error);
    }

    [Fact]
    public async Task An_unconfigured_account_posts_nothing_and_says_so()
    {
        using var provider = SocialServices.Build([]);
        var mastodon = provider.GetRequiredService<MastodonNetwork>();

        var result = await Post(mastodon);

        Assert.False(mastodon.IsConfigured);
        Assert.Equal(DeliveryStatus.Failed, result.Result.Status);
        Assert.Equal("Channels:Social:Mastodon is not configured (any more): nothing was posted.", result.Result.Error);
        Assert.Empty(_mastodon.Requests);
    }

    private static Task<SocialPostResult> Post(MastodonNetwork network) =>
        network.PostAsync(network.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default);

    private Task<SocialPostResult> Post() => Post(Network());

    private MastodonNetwork Network(TimeProvider? time = null, Dictionary<string, string?>? settings = null)
    {
        var all = SocialServices.Mastodon(_mastodon.Url);
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }
        var provider = SocialServices.Build(all, time);
        _providers.Add(provider);
        return provider.GetRequiredService<MastodonNetwork>();
    }
}
