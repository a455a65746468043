using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CommsHub.Core.Channels.Social;
using CommsHub.Core.Common;
using CommsHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Social;

/// <summary>X against a loopback fake that checks OAuth 1.0a itself; the test re-derives the signature by hand as well.</summary>
public sealed class XNetworkTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 14, 9, 0, 0, TimeSpan.Zero);

    private readonly XFake _x = new();
    private readonly List<ServiceProvider> _providers = [];

    public void Dispose()
    {
        _providers.ForEach(p => p.Dispose());
        _x.Dispose();
    }

    [Fact]
    public async Task A_post_is_signed_with_OAuth_1_0a_over_the_URL_and_oauth_parameters_only()
    {
        var x = Network(new OAuth1Signer(new FixedTime(Now), () => "n0nce4CommsHubTest"));
        var content = Updates.Content("Playback fails for some viewers: café, naïve, 東京 & more!");

        var posted = await x.PostAsync(x.Render(content, false), content, null, Updates.DeliveryId(), default);

        var request = Assert.Single(_x.Requests);
        Assert.Equal(201, request.Status);
        Assert.Equal($"{_x.Url}/2/tweets", request.Url);
        Assert.Equal(["oauth_consumer_key", "oauth_nonce", "oauth_signature", "oauth_signature_method", "oauth_timestamp", "oauth_token", "oauth_version"],
            request.OAuth.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("n0nce4CommsHubTest", request.OAuth["oauth_nonce"]);
        Assert.Equal(Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), request.OAuth["oauth_timestamp"]);
        Assert.Equal(RecomputedSignature(request), request.OAuth["oauth_signature"]);

        Assert.Equal(x.Render(content, false).Text, request.Text);
        Assert.Equal(["text"], request.Body!.AsObject().Select(p => p.Key));
        Assert.Equal(DeliveryStatus.Sent, posted.Result.Status);
        Assert.Equal("x", posted.Result.Provider);
        Assert.Equal(request.TweetId, posted.Result.ProviderMessageId);
        Assert.Equal(new SocialPostRef(request.TweetId!), posted.Post);
    }

    [Fact]
    public async Task Every_request_gets_its_own_nonce_and_a_valid_signature()
    {
        var x = Network();

        await x.PostAsync(x.Render(Updates.Content("One."), false), Updates.Content("One."), null, Updates.DeliveryId(), default);
        await x.PostAsync(x.Render(Updates.Content("Two."), false), Updates.Content("Two."), null, Updates.DeliveryId(), default);

        Assert.Equal([201, 201], _x.Requests.Select(r => r.Status));
        Assert.All(_x.Requests, r => Assert.Equal(RecomputedSignature(r), r.OAuth["oauth_signature"]));
        Assert.NotEqual(_x.Requests[0].OAuth["oauth_nonce"], _x.Requests[1].OAuth["oauth_nonce"]);
    }

    [Fact]
    public async Task A_follow_up_replies_to_the_previous_tweet()
    {
        var x = Network();
        var first = await x.PostAsync(x.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default);
        var content = Updates.Content("Fixed.", IncidentStatus.Resolved);

        var reply = await x.PostAsync(x.Render(content, true), content, new SocialThread(first.Post!, first.Post!), Updates.DeliveryId(), default);

        Assert.Equal([null, first.Post!.Id], _x.Requests.Select(r => r.InReplyToTweetId));
        Assert.Equal(DeliveryStatus.Sent, reply.Result.Status);
    }

    [Fact]
    public async Task Throttling_is_retried_when_x_rate_limit_reset_says()
    {
        var reset = Now.AddMinutes(15).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        _x.Answer = _ => (429, new Dictionary<string, string> { ["x-rate-limit-remaining"] = "0", ["x-rate-limit-reset"] = reset });
        var x = Network(time: new FixedTime(Now));

        var result = (await x.PostAsync(x.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default)).Result;

        Assert.Equal(DeliveryStatus.Queued, result.Status);
        Assert.True(result.Transient);
        Assert.Equal(TimeSpan.FromMinutes(15), result.RetryAfter);
        Assert.Equal("X answered 429: Too Many Requests", result.Error);
    }

    [Fact]
    public async Task A_duplicate_is_refused_permanently_and_the_error_says_an_earlier_attempt_may_have_posted()
    {
        var x = Network();
        var content = Updates.Content();
        var delivery = Updates.DeliveryId();

        await x.PostAsync(x.Render(content, false), content, null, delivery, default);
        var again = (await x.PostAsync(x.Render(content, false), content, null, delivery, default)).Result;

        Assert.Equal(DeliveryStatus.Failed, again.Status);
        Assert.False(again.Transient);
        Assert.Equal(403, again.HttpStatus);
        Assert.Equal("X answered 403: You are not allowed to create a Tweet with duplicate content. (an earlier attempt of this delivery may already have posted it)",
            again.Error);
    }

    [Fact]
    public async Task A_wrong_secret_is_refused_as_unauthorized_and_not_retried()
    {
        var x = Network(settings: new() { ["Channels:Social:X:ConsumerSecret"] = "not-the-secret" });

        var result = (await x.PostAsync(x.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default)).Result;

        Assert.Equal(DeliveryStatus.Failed, result.Status);
        Assert.Equal(401, result.HttpStatus);
        Assert.Equal("X answered 401: Unauthorized", result.Error);
    }

    [Theory]
    [InlineData(400, DeliveryStatus.Failed, false, "X answered 400: One or more parameters to your request was invalid.", "https://api.twitter.com/2/problems/invalid-request")]
    [InlineData(500, DeliveryStatus.Queued, true, "X answered 500: Service Unavailable", null)]
    [InlineData(503, DeliveryStatus.Queued, true, "X answered 503: Service Unavailable", null)]
    public async Task Other_answers_map_to_failed_or_to_a_retry(int status, DeliveryStatus expected, bool transient, string error, string? code)
    {
        _x.Answer = _ => (status, null);
        var x = Network();

        var result = (await x.PostAsync(x.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default)).Result;

        Assert.Equal(expected, result.Status);
        Assert.Equal(transient, result.Transient);
        Assert.Equal(status, result.HttpStatus);
        Assert.Equal(error, result.Error);
        Assert.Equal(code, result.ErrorCode);
    }

    /// <summary>RFC 5849 by hand for this one request: no query, no form, the JSON body left out.</summary>
    private string RecomputedSignature(XRequest request)
    {
        static string Enc(string s) => Uri.EscapeDataString(s);
        var p = request.OAuth;
        string[] names = ["oauth_consumer_key", "oauth_nonce", "oauth_signature_method", "oauth_timestamp", "oauth_token", "oauth_version"];
        var parameters = string.Join("&", names.Select(n => $"{n}={Enc(p[n])}"));
        var baseString = $"POST&{Enc($"{_x.Url}/2/tweets")}&{Enc(parameters)}";
        var key = Encoding.ASCII.GetBytes($"{Enc(XFake.ConsumerSecret)}&{Enc(XFake.AccessTokenSecret)}");
#pragma warning disable CA5350 // OAuth 1.0a is HMAC-SHA1.
        return Convert.ToBase64String(HMACSHA1.HashData(key, Encoding.ASCII.GetBytes(baseString)));
#pragma warning restore CA5350
    }

    private XNetwork Network(OAuth1Signer? signer = null, TimeProvider? time = null, Dictionary<string, string?>? settings = null)
    {
        var all = SocialServices.X(_x.Url);
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }
        var provider = SocialServices.Build(all, time, signer);
        _providers.Add(provider);
        return provider.GetRequiredService<XNetwork>();
    }
}
