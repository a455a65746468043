using System.Security.Cryptography;
using System.Text;
using CommsHub.Core.Channels.Webhook;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace CommsHub.Tests.Webhooks;

public sealed class WebhookSignerTests
{
    [Fact]
    public void Secrets_are_whsec_and_24_random_bytes_in_base64()
    {
        var first = WebhookSecrets.Generate();
        var second = WebhookSecrets.Generate();

        Assert.StartsWith("whsec_", first);
        Assert.Equal(24, Convert.FromBase64String(first["whsec_".Length..]).Length);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void The_signature_is_an_hmac_of_id_timestamp_and_body_keyed_with_the_decoded_secret()
    {
        var key = Enumerable.Range(1, 24).Select(i => (byte)i).ToArray();
        var secret = "whsec_" + Convert.ToBase64String(key);
        var timestamp = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        const string body = """{"type":"incident.updated","data":{"id":"inc_1"}}""";

        var signature = WebhookSigner.Sign(secret, "msg_1", timestamp, body);

        var expected = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("msg_1.1700000000." + body));
        Assert.Equal("v1," + Convert.ToBase64String(expected), signature);
    }

    [Fact]
    public void The_signature_matches_the_standard_webhooks_reference_vector()
    {
        // The example from the Standard Webhooks reference libraries' tests.
        var signature = WebhookSigner.Sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            DateTimeOffset.FromUnixTimeSeconds(1614265330),
            """{"test": 2432232314}""");

        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Fact]
    public void Headers_carry_the_id_the_unix_timestamp_and_the_signature()
    {
        var secret = WebhookSecrets.Generate();
        var timestamp = DateTimeOffset.FromUnixTimeSeconds(1_700_000_123);

        var headers = WebhookSigner.Headers(secret, "msg_2", timestamp, "{}");

        Assert.Equal(3, headers.Count);
        Assert.Equal("msg_2", headers["webhook-id"]);
        Assert.Equal("1700000123", headers["webhook-timestamp"]);
        Assert.Equal(WebhookSigner.Sign(secret, "msg_2", timestamp, "{}"), headers["webhook-signature"]);
    }

    [Fact]
    public void A_receiver_using_the_standard_webhooks_library_accepts_the_headers_and_rejects_a_changed_body()
    {
        var secret = WebhookSecrets.Generate();
        const string body = """{"type":"incident.resolved"}""";
        var headers = new HeaderDictionary();
        foreach (var (name, value) in WebhookSigner.Headers(secret, "msg_3", DateTimeOffset.UtcNow, body))
        {
            headers[name] = value;
        }
        var receiver = new StandardWebhook(secret);

        receiver.Verify(body, headers);
        Assert.Throws<WebhookVerificationException>(() => receiver.Verify("""{"type":"incident.created"}""", headers));
    }

    [Theory]
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    [InlineData("whsec_not base64!")]
    [InlineData("")]
    public void Malformed_secrets_are_refused(string secret) =>
        Assert.Throws<ArgumentException>(() => WebhookSigner.Sign(secret, "msg_4", DateTimeOffset.UtcNow, "{}"));
}
