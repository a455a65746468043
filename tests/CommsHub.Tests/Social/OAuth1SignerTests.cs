using CommsHub.Core.Channels.Social;
using CommsHub.Testing;

namespace CommsHub.Tests.Social;

/// <summary>RFC 5849 signing checked against X's documented example ("Creating a signature").</summary>
public sealed class OAuth1SignerTests
{
    private static readonly Uri UpdateUrl = new("https://api.twitter.com/1.1/statuses/update.json?include_entities=true");
    private static readonly OAuth1Credentials Credentials = new(XFake.ConsumerKey, XFake.ConsumerSecret, XFake.AccessToken, XFake.AccessTokenSecret);
    private const string Nonce = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg";
    private const string Status = "Hello Ladies + Gentlemen, a signed OAuth request!";

    [Fact]
    public void The_documented_example_signs_to_the_documented_signature()
    {
        var signer = new OAuth1Signer(new FixedTime(DateTimeOffset.FromUnixTimeSeconds(1318622958)), () => Nonce);

        var header = signer.AuthorizationHeader(HttpMethod.Post, UpdateUrl, Credentials, [new("status", Status)]);

        Assert.Equal(
            "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", "
            + "oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\", oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1318622958\", "
            + "oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", oauth_version=\"1.0\"",
            header);
        Assert.Equal("hCtSmYh+iHYCEqBWrE7C7hYmtUk=", XFake.ParseOAuth(header)["oauth_signature"]);
    }

    [Fact]
    public void The_documented_example_has_the_documented_base_string()
    {
        var baseString = OAuth1Signer.BaseString(HttpMethod.Post, UpdateUrl,
        [
            new("status", Status),
            new("oauth_consumer_key", XFake.ConsumerKey),
            new("oauth_nonce", Nonce),
            new("oauth_signature_method", "HMAC-SHA1"),
            new("oauth_timestamp", "1318622958"),
            new("oauth_token", XFake.AccessToken),
            new("oauth_version", "1.0"),
        ]);

        Assert.Equal(
            "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog"
            + "%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958"
            + "%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0"
            + "%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521",
            baseString);
    }

    [Theory]
    [InlineData("Ladies + Gentlemen", "Ladies%20%2B%20Gentlemen")]
    [InlineData("An encoded string!", "An%20encoded%20string%21")]
    [InlineData("Dogs, Cats & Mice", "Dogs%2C%20Cats%20%26%20Mice")]
    [InlineData("☃", "%E2%98%83")]
    [InlineData("-._~AZaz09", "-._~AZaz09")]
    [InlineData("*'()/:=?", "%2A%27%28%29%2F%3A%3D%3F")]
    public void Percent_encoding_is_RFC_3986_with_upper_case_hex(string value, string expected) => Assert.Equal(expected, OAuth1Signer.Encode(value));

    [Theory]
    [InlineData("HTTPS://API.X.COM:443/2/tweets", "https%3A%2F%2Fapi.x.com%2F2%2Ftweets")]
    [InlineData("http://localhost:8080/2/tweets?b=2&a=1", "http%3A%2F%2Flocalhost%3A8080%2F2%2Ftweets")]
    public void The_base_URI_is_lower_case_without_a_default_port_or_query(string url, string expected) =>
        Assert.StartsWith($"POST&{expected}&", OAuth1Signer.BaseString(HttpMethod.Post, new Uri(url), []));

    [Fact]
    public void Query_parameters_are_signed_sorted_by_name_then_value()
    {
        var baseString = OAuth1Signer.BaseString(HttpMethod.Get, new Uri("https://api.x.com/2/users?b=2&a=2&a=1&c=x+y"), [new("a", "0")]);

        Assert.EndsWith("&" + OAuth1Signer.Encode("a=0&a=1&a=2&b=2&c=x%20y"), baseString);
    }

    [Fact]
    public void Each_request_gets_a_fresh_nonce_by_default()
    {
        var signer = new OAuth1Signer(TimeProvider.System);
        var url = new Uri("https://api.x.com/2/tweets");

        var first = XFake.ParseOAuth(signer.AuthorizationHeader(HttpMethod.Post, url, Credentials))["oauth_nonce"];
        var second = XFake.ParseOAuth(signer.AuthorizationHeader(HttpMethod.Post, url, Credentials))["oauth_nonce"];

        Assert.NotEqual(first, second);
        Assert.Matches("^[0-9a-f]{32}$", first);
    }
}
