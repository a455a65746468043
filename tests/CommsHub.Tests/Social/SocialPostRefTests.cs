using CommsHub.Core.Channels.Social;

namespace CommsHub.Tests.Social;

public sealed class SocialPostRefTests
{
    private const string BlueskyUri = "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3lkx7q2ab4c2d";
    private const string BlueskyCid = "bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";

    [Theory]
    [InlineData("113401234567890123")]
    [InlineData("1860000000000000001")]
    [InlineData("AbCdEf0123456789xyz")]
    public void A_Mastodon_or_X_post_is_stored_as_its_bare_id(string id)
    {
        var post = new SocialPostRef(id);

        Assert.Equal(id, post.Serialize());
        Assert.Equal(post, SocialPostRef.Parse(post.Serialize()));
    }

    [Fact]
    public void A_Bluesky_post_is_stored_as_uri_and_cid_and_gets_its_record_key_back_as_id()
    {
        var post = new SocialPostRef("3lkx7q2ab4c2d", BlueskyUri, BlueskyCid);

        var text = post.Serialize();

        Assert.Equal($"{BlueskyUri} {BlueskyCid}", text);
        Assert.Equal(post, SocialPostRef.Parse(text));
        Assert.True(text.Length <= 140, $"{text.Length} characters");
    }

    [Fact]
    public void A_Bluesky_post_on_a_did_web_account_with_a_long_domain_still_fits_the_column()
    {
        var did = "did:web:" + new string('s', 50) + ".status.example.com";
        var post = new SocialPostRef("3lkx7q2ab4c2d", $"at://{did}/app.bsky.feed.post/3lkx7q2ab4c2d", BlueskyCid);

        Assert.InRange(post.Serialize().Length, 1, SocialPostRef.MaxLength);
        Assert.Equal(post, SocialPostRef.Parse(post.Serialize()));
    }

    public static TheoryData<SocialPostRef> Unusual => new()
    {
        new SocialPostRef("not-the-last-segment", BlueskyUri, BlueskyCid),
        new SocialPostRef("3lkx7q2ab4c2d", BlueskyUri),
        new SocialPostRef("3lkx7q2ab4c2d", null, BlueskyCid),
        new SocialPostRef("app.bsky.feed.post/3lkx7q2ab4c2d", BlueskyUri, BlueskyCid),
        new SocialPostRef("id with spaces"),
        new SocialPostRef("100% sure", "uri with %20 in it", "c i d"),
        new SocialPostRef("%20"),
        new SocialPostRef("%2520 %"),
    };

    [Theory]
    [MemberData(nameof(Unusual))]
    public void Every_reference_round_trips_whatever_its_characters(SocialPostRef post) =>
        Assert.Equal(post, SocialPostRef.Parse(post.Serialize()));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("a b c d")]
    [InlineData("uri-without-slash cid")]
    [InlineData("at://did/app.bsky.feed.post/ cid")]
    [InlineData(" at://did/app.bsky.feed.post/x cid")]
    public void Text_that_no_reference_serializes_to_parses_as_null(string? text) => Assert.Null(SocialPostRef.Parse(text));

    [Fact]
    public void A_reference_needs_an_id() => Assert.Throws<ArgumentException>(() => new SocialPostRef(""));
}
