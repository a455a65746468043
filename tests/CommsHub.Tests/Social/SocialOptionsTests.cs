using CommsHub.Core.Channels.Social;
using CommsHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CommsHub.Tests.Social;

/// <summary>Channels:Social validated as the host does it: bound, then refused at start with messages a person can act on.</summary>
public sealed class SocialOptionsTests
{
    [Fact]
    public void Without_configuration_all_three_networks_are_registered_and_off()
    {
        using var provider = SocialServices.Build([]);

        provider.GetRequiredService<IStartupValidator>().Validate();
        var networks = provider.GetServices<ISocialNetwork>().ToList();
        Assert.Equal(["mastodon", "bluesky", "x"], networks.Select(n => n.Name));
        Assert.Equal([500, 300, 280], networks.Select(n => n.Limit));
        Assert.All(networks, n => Assert.False(n.IsConfigured));
        Assert.Equal(["mastodon", "bluesky", "x"], networks.Select(n => n.Account));
        Assert.Equal("https://bsky.social", provider.GetRequiredService<IOptions<BlueskyOptions>>().Value.ServiceUrl);
        Assert.Equal("https://api.x.com", provider.GetRequiredService<IOptions<XOptions>>().Value.BaseUrl);
        Assert.Equal(TimeSpan.FromSeconds(30), provider.GetRequiredService<IOptions<MastodonOptions>>().Value.Timeout);
    }

    [Fact]
    public void Configured_networks_name_the_account_that_posts_and_are_singletons()
    {
        using var provider = SocialServices.Build(Full());

        provider.GetRequiredService<IStartupValidator>().Validate();
        var networks = provider.GetServices<ISocialNetwork>().ToList();
        Assert.All(networks, n => Assert.True(n.IsConfigured));
        Assert.Equal(["mastodon:@status@mastodon.example", "bluesky:status.example.com", "x:@acme_status"], networks.Select(n => n.Account));
        Assert.Same(provider.GetRequiredService<BlueskyNetwork>(), provider.GetServices<ISocialNetwork>().Single(n => n.Name == "bluesky"));
    }

    [Theory]
    [InlineData("Channels:Social:Mastodon:Handle", "", "mastodon:mastodon.example")]
    [InlineData("Channels:Social:Mastodon:Handle", "@ops@other.example", "mastodon:@ops@other.example")]
    [InlineData("Channels:Social:Bluesky:Identifier", "@Status.Example.com", "bluesky:status.example.com")]
    [InlineData("Channels:Social:Bluesky:Identifier", "did:plc:ewvi7nxzyoun6zhxrhs64oiz", "bluesky:did:plc:ewvi7nxzyoun6zhxrhs64oiz")]
    [InlineData("Channels:Social:X:Handle", "", "x:id:370773112")]
    public void Accounts_fall_back_to_what_the_credentials_say(string key, string value, string account)
    {
        var settings = Full();
        settings[key] = value;
        using var provider = SocialServices.Build(settings);

        provider.GetRequiredService<IStartupValidator>().Validate();
        Assert.Contains(account, provider.GetServices<ISocialNetwork>().Select(n => n.Account));
    }

    [Theory]
    [InlineData("Channels:Social:Mastodon:AccessToken", "",
        "Channels:Social:Mastodon:AccessToken is empty while Channels:Social:Mastodon:InstanceUrl is set: set both InstanceUrl and AccessToken to post to Mastodon, or neither to leave it off.")]
    [InlineData("Channels:Social:Mastodon:InstanceUrl", "",
        "Channels:Social:Mastodon:InstanceUrl is empty while Channels:Social:Mastodon:AccessToken is set: set both InstanceUrl and AccessToken to post to Mastodon, or neither to leave it off.")]
    [InlineData("Channels:Social:Mastodon:InstanceUrl", "mastodon.example",
        "Channels:Social:Mastodon:InstanceUrl 'mastodon.example' is not an absolute http(s) URL: your Mastodon server's address, e.g. https://mastodon.social.")]
    [InlineData("Channels:Social:Mastodon:InstanceUrl", "https://mastodon.example/api/v1",
        "Channels:Social:Mastodon:InstanceUrl 'https://mastodon.example/api/v1' must be the server's address only, without an API path or query: your Mastodon server's address, e.g. https://mastodon.social.")]
    [InlineData("Channels:Social:Mastodon:Handle", "status page",
        "Channels:Social:Mastodon:Handle 'status page' is not a Mastodon username: write it as status or @status (or @status@mastodon.example).")]
    [InlineData("Channels:Social:Mastodon:Timeout", "00:00:00",
        "Channels:Social:Mastodon:Timeout '00:00:00' must be between 00:00:01 and 00:10:00, e.g. 00:00:30.")]
    [InlineData("Channels:Social:Bluesky:AppPassword", "",
        "Channels:Social:Bluesky:AppPassword is empty while Channels:Social:Bluesky:Identifier is set: set both Identifier and AppPassword to post to Bluesky, or neither to leave it off.")]
    [InlineData("Channels:Social:Bluesky:Identifier", "",
        "Channels:Social:Bluesky:Identifier is empty while Channels:Social:Bluesky:AppPassword is set: set both Identifier and AppPassword to post to Bluesky, or neither to leave it off.")]
    [InlineData("Channels:Social:Bluesky:Identifier", "status example",
        "Channels:Social:Bluesky:Identifier 'status example' contains spaces: use the account's handle (status.example.com), its DID or its e-mail address.")]
    [InlineData("Channels:Social:Bluesky:ServiceUrl", "bsky.social",
        "Channels:Social:Bluesky:ServiceUrl 'bsky.social' is not an absolute http(s) URL: leave it unset for https://bsky.social, or give your PDS's address.")]
    [InlineData("Channels:Social:Bluesky:ServiceUrl", "https://bsky.social/xrpc",
        "Channels:Social:Bluesky:ServiceUrl 'https://bsky.social/xrpc' must be the server's address only, without an API path or query: leave it unset for https://bsky.social, or give your PDS's address.")]
    [InlineData("Channels:Social:X:AccessTokenSecret", "",
        "Channels:Social:X needs all four of ConsumerKey, ConsumerSecret, AccessToken and AccessTokenSecret, or none to leave X off; missing: AccessTokenSecret.")]
    [InlineData("Channels:Social:X:AccessToken", "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid",
        "Channels:Social:X:AccessToken is not an OAuth 1.0a access token (they look like 370773112-GmHx…): copy the Access Token, not the Bearer Token, from the app's Keys and tokens page.")]
    [InlineData("Channels:Social:X:Handle", "@acme status",
        "Channels:Social:X:Handle '@acme status' is not an X handle: 1 to 15 letters, digits or underscores, e.g. @acme_status.")]
    [InlineData("Channels:Social:X:BaseUrl", "ftp://api.x.com",
        "Channels:Social:X:BaseUrl 'ftp://api.x.com' is not an absolute http(s) URL: leave it unset for https://api.x.com.")]
    [InlineData("Channels:Social:X:BaseUrl", "https://api.x.com/2/tweets",
        "Channels:Social:X:BaseUrl 'https://api.x.com/2/tweets' must be the server's address only, without an API path or query: leave it unset for https://api.x.com.")]
    public void A_bad_setting_stops_the_start_with_a_message_that_says_what_to_do(string key, string value, string message)
    {
        var settings = Full();
        settings[key] = value;
        using var provider = SocialServices.Build(settings);

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(message, Assert.Single(ex.Failures));
    }

    [Fact]
    public void Several_missing_X_keys_are_named_together()
    {
        using var provider = SocialServices.Build(new() { ["Channels:Social:X:ConsumerKey"] = XFake.ConsumerKey });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("missing: ConsumerSecret, AccessToken, AccessTokenSecret.", Assert.Single(ex.Failures));
    }

    private static Dictionary<string, string?> Full()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Channels:Social:Mastodon:InstanceUrl"] = "https://mastodon.example",
            ["Channels:Social:Mastodon:AccessToken"] = MastodonFake.AccessToken,
            ["Channels:Social:Mastodon:Handle"] = "@status",
            ["Channels:Social:X:Handle"] = "@acme_status",
        };
        foreach (var (key, value) in SocialServices.Bluesky("https://bsky.social").Concat(SocialServices.X("https://api.x.com")))
        {
            settings[key] = value;
        }
        return settings;
    }
}
