using System.Globalization;
using System.Text;
using CommsHub.Core.Channels.Social;
using CommsHub.Core.Common;
using CommsHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Social;

/// <summary>Bluesky against a loopback PDS fake: session handling, the record written, facets, threads, and idempotent retries.</summary>
public sealed class BlueskyNetworkTests : IDisposable
{
    private readonly BlueskyFake _bluesky = new();
    private readonly List<ServiceProvider> _providers = [];

    public void Dispose()
    {
        _providers.ForEach(p => p.Dispose());
        _bluesky.Dispose();
    }

    [Fact]
    public async Task A_first_post_logs_in_then_creates_a_post_record_at_a_key_derived_from_the_delivery()
    {
        var bluesky = Network();
        var content = Updates.Content();
        var delivery = Updates.DeliveryId();

        var posted = await bluesky.PostAsync(bluesky.Render(content, false), content, null, delivery, default);

        Assert.Equal(["com.atproto.server.createSession", "com.atproto.repo.createRecord"], _bluesky.Requests.Select(r => r.Xrpc));
        var login = _bluesky.Requests[0];
        Assert.Equal(BlueskyFake.Handle, login.Body!["identifier"]!.GetValue<string>());
        Assert.Equal(BlueskyFake.AppPassword, login.Body!["password"]!.GetValue<string>());

        var create = _bluesky.Requests[1];
        Assert.Equal("Bearer access-jwt-1", create.Authorization);
        Assert.Equal(BlueskyFake.Did, create.Body!["repo"]!.GetValue<string>());
        Assert.Equal("app.bsky.feed.post", create.Body!["collection"]!.GetValue<string>());
        Assert.Equal(BlueskyRecordKey.From(delivery), create.Body!["rkey"]!.GetValue<string>());
        var record = create.Record!;
        Assert.Equal("app.bsky.feed.post", record["$type"]!.GetValue<string>());
        Assert.Equal(bluesky.Render(content, false).Text, record["text"]!.GetValue<string>());
        Assert.Equal("2026-03-14T09:26:53.589Z", record["createdAt"]!.GetValue<string>());
        Assert.Equal(["en"], record["langs"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Null(record["reply"]);

        var stored = _bluesky.Records[BlueskyRecordKey.From(delivery)];
        Assert.Equal(DeliveryStatus.Sent, posted.Result.Status);
        Assert.Equal("bluesky", posted.Result.Provider);
        Assert.Equal(new SocialPostRef(BlueskyRecordKey.From(delivery), stored.Uri, stored.Cid), posted.Post);
        Assert.Equal($"{stored.Uri} {stored.Cid}", posted.Result.ProviderMessageId);
        Assert.Equal(posted.Post, SocialPostRef.Parse(posted.Result.ProviderMessageId));
    }

    [Fact]
    public async Task Link_facets_point_at_the_links_by_UTF8_byte_offsets_after_emoji_and_accents()
    {
        var bluesky = Network();
        var content = Updates.Content("Café ☕ déjà vu 🎉 naïve — 東京: see https://docs.example.com/runbooks/état-vidéo for the workaround.");

        await bluesky.PostAsync(bluesky.Render(content, false), content, null, Updates.DeliveryId(), default);

        var record = _bluesky.Calls("com.atproto.repo.createRecord").Single().Record!;
        var bytes = Encoding.UTF8.GetBytes(record["text"]!.GetValue<string>());
        var facets = record["facets"]!.AsArray();
        Assert.Equal(2, facets.Count);
        var links = facets.Select(f =>
        {
            var start = f!["index"]!["byteStart"]!.GetValue<int>();
            var end = f["index"]!["byteEnd"]!.GetValue<int>();
            var feature = Assert.Single(f["features"]!.AsArray())!;
            Assert.Equal("app.bsky.richtext.facet#link", feature["$type"]!.GetValue<string>());
            Assert.Equal(feature["uri"]!.GetValue<string>(), Encoding.UTF8.GetString(bytes, start, end - start));
            return (Uri: feature["uri"]!.GetValue<string>(), Start: start);
        }).ToList();
        Assert.Equal(["https://docs.example.com/runbooks/état-vidéo", Updates.IncidentUrl], links.Select(l => l.Uri));
        Assert.Equal(bytes.Length, links[1].Start + Encoding.UTF8.GetByteCount(Updates.IncidentUrl));
        // The byte offset is well past the UTF-16 one: a facet by char index would point at the wrong text.
        Assert.True(links[0].Start > record["text"]!.GetValue<string>().IndexOf("https://docs", StringComparison.Ordinal) + 10);
    }

    [Fact]
    public async Task A_follow_up_names_the_thread_s_root_and_its_parent_by_uri_and_cid()
    {
        var bluesky = Network();
        var first = await bluesky.PostAsync(bluesky.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default);
        var second = await bluesky.PostAsync(bluesky.Render(Updates.Content("Cause found."), true), Updates.Content("Cause found."),
            new SocialThread(first.Post!, first.Post!), Updates.DeliveryId(), default);

        var third = await bluesky.PostAsync(bluesky.Render(Updates.Content("Fixed."), true), Updates.Content("Fixed."),
            new SocialThread(first.Post!, second.Post!), Updates.DeliveryId(), default);

        var reply = _bluesky.Calls("com.atproto.repo.createRecord")[2].Record!["reply"]!;
        Assert.Equal(first.Post!.Uri, reply["root"]!["uri"]!.GetValue<string>());
        Assert.Equal(first.Post!.Cid, reply["root"]!["cid"]!.GetValue<string>());
        Assert.Equal(second.Post!.Uri, reply["parent"]!["uri"]!.GetValue<string>());
        Assert.Equal(second.Post!.Cid, reply["parent"]!["cid"]!.GetValue<string>());
        Assert.Equal(DeliveryStatus.Sent, third.Result.Status);
    }

    [Fact]
    public async Task The_session_is_reused_across_posts()
    {
        var bluesky = Network();

        for (var i = 0; i < 3; i++)
        {
            await bluesky.PostAsync(bluesky.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default);
        }

        Assert.Single(_bluesky.Calls("com.atproto.server.createSession"));
        Assert.All(_bluesky.Calls("com.atproto.repo.createRecord"), r => Assert.Equal(200, r.Status));
    }

    [Fact]
    public async Task An_expired_access_token_is_refreshed_once_and_the_post_retried()
    {
        var bluesky = Network();
        await bluesky.PostAsync(bluesky.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default);
        _bluesky.ExpireAccessTokens();

        var posted = await bluesky.PostAsync(bluesky.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default);

        Assert.Equal(
            ["createSession 200", "createRecord 200", "createRecord 400", "refreshSession 200", "createRecord 200"],
            _bluesky.Requests.Select(r => $"{r.Xrpc.Split('.')[^1]} {r.Status}"));
        Assert.Equal("Bearer refresh-jwt-1", _bluesky.Calls("com.atproto.server.refreshSession").Single().Authorization);
        Assert.Equal("Bearer access-jwt-2", _bluesky.Requests[^1].Authorization);
        Assert.Equal(DeliveryStatus.Sent, posted.Result.Status);
    }

    [Fact]
    public async Task When_the_refresh_token_has_expired_too_a_new_session_is_created()
    {
        var bluesky = Network();
        await bluesky.PostAsync(bluesky.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default);
        _bluesky.ExpireAccessTokens();
        _bluesky.ExpireRefreshTokens();

        var posted = await bluesky.PostAsync(bluesky.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default);

        Assert.Equal(
            ["createSession 200", "createRecord 200", "createRecord 400", "refreshSession 400", "createSession 200", "createRecord 200"],
            _bluesky.Requests.Select(r => $"{r.Xrpc.Split('.')[^1]} {r.Status}"));
        Assert.Equal(DeliveryStatus.Sent, posted.Result.Status);
    }

    [Fact]
    public async Task A_wrong_app_password_fails_permanently_and_says_which_settings_to_check()
    {
        var bluesky = Network(settings: new() { ["Channels:Social:Bluesky:AppPassword"] = "wrong-pass-word-here" });

        var result = (await bluesky.PostAsync(bluesky.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default)).Result;

        Assert.Equal(["com.atproto.server.createSession"], _bluesky.Requests.Select(r => r.Xrpc));
        Assert.Equal(DeliveryStatus.Failed, result.Status);
        Assert.False(result.Transient);
        Assert.Equal(401, result.HttpStatus);
        Assert.Equal("AuthenticationRequired", result.ErrorCode);
        Assert.Equal("Bluesky answered 401: could not log in as 'status.example.com': Invalid identifier or password — check Channels:Social:Bluesky:Identifier and :AppPassword.",
            result.Error);
    }

    [Fact]
    public async Task A_retried_delivery_that_was_already_posted_hits_its_own_record_and_counts_as_sent()
    {
        var bluesky = Network();
        var content = Updates.Content();
        var delivery = Updates.DeliveryId();

        var first = await bluesky.PostAsync(bluesky.Render(content, false), content, null, delivery, default);
        var again = await bluesky.PostAsync(bluesky.Render(content, false), content, null, delivery, default);

        Assert.Single(_bluesky.Records);
        Assert.Equal(["createSession 200", "createRecord 200", "createRecord 500", "getRecord 200"],
            _bluesky.Requests.Select(r => $"{r.Xrpc.Split('.')[^1]} {r.Status}"));
        var lookup = _bluesky.Calls("com.atproto.repo.getRecord").Single();
        Assert.Equal(BlueskyFake.Did, lookup.Query["repo"]);
        Assert.Equal("app.bsky.feed.post", lookup.Query["collection"]);
        Assert.Equal(BlueskyRecordKey.From(delivery), lookup.Query["rkey"]);
        Assert.Equal(DeliveryStatus.Sent, again.Result.Status);
        Assert.Equal(first.Post, again.Post);
        Assert.Equal(first.Result.ProviderMessageId, again.Result.ProviderMessageId);
    }

    [Fact]
    public async Task A_create_that_timed_out_after_it_happened_is_found_on_the_retry_not_posted_twice()
    {
        _bluesky.DelayFor = n => n == 1 ? TimeSpan.FromSeconds(3) : TimeSpan.Zero;
        var bluesky = Network(settings: new() { ["Channels:Social:Bluesky:Timeout"] = "00:00:01" });
        var content = Updates.Content();
        var delivery = Updates.DeliveryId();

        var timedOut = await bluesky.PostAsync(bluesky.Render(content, false), content, null, delivery, default);
        var retried = await bluesky.PostAsync(bluesky.Render(content, false), content, null, delivery, default);

        Assert.Equal(DeliveryStatus.Queued, timedOut.Result.Status);
        Assert.True(timedOut.Result.Transient);
        Assert.Equal("Bluesky unreachable: no answer within 1 s", timedOut.Result.Error);
        Assert.Equal(DeliveryStatus.Sent, retried.Result.Status);
        Assert.Single(_bluesky.Records);
        Assert.Equal(_bluesky.Records.Values.Single().Uri, retried.Post!.Uri);
    }

    [Fact]
    public async Task A_server_error_that_created_nothing_stays_a_transient_failure()
    {
        _bluesky.Answer = n => n == 1 ? (500, null) : null;
        var bluesky = Network();

        var result = (await bluesky.PostAsync(bluesky.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default)).Result;

        Assert.Equal(400, _bluesky.Calls("com.atproto.repo.getRecord").Single().Status);
        Assert.Equal(DeliveryStatus.Queued, result.Status);
        Assert.True(result.Transient);
        Assert.Equal(500, result.HttpStatus);
        Assert.Equal("Bluesky answered 500: Internal Server Error", result.Error);
        Assert.Empty(_bluesky.Records);
    }

    [Fact]
    public async Task Throttling_is_retried_when_ratelimit_reset_says()
    {
        var now = new DateTimeOffset(2026, 3, 14, 9, 0, 0, TimeSpan.Zero);
        var reset = now.AddSeconds(90).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        _bluesky.Answer = _ => (429, new Dictionary<string, string> { ["ratelimit-remaining"] = "0", ["ratelimit-reset"] = reset });
        var bluesky = Network(new FixedTime(now));

        var result = (await bluesky.PostAsync(bluesky.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default)).Result;

        Assert.Equal(DeliveryStatus.Queued, result.Status);
        Assert.Equal(TimeSpan.FromSeconds(90), result.RetryAfter);
        Assert.Equal("RateLimitExceeded", result.ErrorCode);
        Assert.Equal("Bluesky answered 429: Rate Limit Exceeded", result.Error);
    }

    [Fact]
    public async Task An_invalid_record_fails_permanently_with_Bluesky_s_reason()
    {
        _bluesky.Answer = _ => (400, null);
        var bluesky = Network();

        var result = (await bluesky.PostAsync(bluesky.Render(Updates.Content(), false), Updates.Content(), null, Updates.DeliveryId(), default)).Result;

        Assert.Equal(DeliveryStatus.Failed, result.Status);
        Assert.Equal("InvalidRequest", result.ErrorCode);
        Assert.Equal("Bluesky answered 400: Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes", result.Error);
        Assert.Empty(_bluesky.Calls("com.atproto.repo.getRecord"));
    }

    [Fact]
    public void Record_keys_are_TIDs_fixed_by_the_delivery_and_dated_by_its_UUIDv7()
    {
        var delivery = Guid.CreateVersion7(new DateTimeOffset(2026, 3, 14, 9, 26, 53, 589, TimeSpan.Zero));

        var key = BlueskyRecordKey.From(delivery.ToString());

        Assert.True(BlueskyRecordKey.IsTid(key), key);
        Assert.Matches("^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$", key);
        Assert.Equal(key, BlueskyRecordKey.From(delivery.ToString()));
        Assert.NotEqual(key, BlueskyRecordKey.From(Guid.CreateVersion7().ToString()));
        var micros = key.Aggregate(0L, (value, c) => (value << 5) | (long)"234567abcdefghijklmnopqrstuvwxyz".IndexOf(c, StringComparison.Ordinal)) >> 10;
        Assert.Equal(new DateTimeOffset(2026, 3, 14, 9, 26, 53, 589, TimeSpan.Zero), DateTimeOffset.FromUnixTimeMilliseconds(micros / 1000));

        // The consumer passes the delivery id in "N" form (no hyphens): still a UUIDv7, still dated by it.
        var compact = BlueskyRecordKey.From(delivery.ToString("N"));
        var compactMicros = compact.Aggregate(0L, (value, c) => (value << 5) | (long)"234567abcdefghijklmnopqrstuvwxyz".IndexOf(c, StringComparison.Ordinal)) >> 10;
        Assert.Equal(micros / 1000, compactMicros / 1000);

        var other = BlueskyRecordKey.From("not-a-uuid");
        Assert.True(BlueskyRecordKey.IsTid(other), other);
        var otherMicros = other.Aggregate(0L, (value, c) => (value << 5) | (long)"234567abcdefghijklmnopqrstuvwxyz".IndexOf(c, StringComparison.Ordinal)) >> 10;
        Assert.InRange(DateTimeOffset.FromUnixTimeMilliseconds(otherMicros / 1000), new DateTimeOffset(2023, 1, 1, 0, 0, 0, TimeSpan.Zero), DateTimeOffset.UtcNow);
    }

    private BlueskyNetwork Network(TimeProvider? time = null, Dictionary<string, string?>? settings = null)
    {
        var all = SocialServices.Bluesky(_bluesky.Url);
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }
        var provider = SocialServices.Build(all, time);
        _providers.Add(provider);
        return provider.GetRequiredService<BlueskyNetwork>();
    }
}
