using System.Net;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Channels.Email.EventWebhook;
using CommsHub.Tests.Api;

namespace CommsHub.Tests.Webhooks;

/// <summary>Without a verification key nothing posted to the event webhook can be believed, so all of it is refused.</summary>
public sealed class SendGridEventWebhookUnconfiguredTests : SqliteAppTest
{
    [Fact]
    public async Task Without_a_public_key_every_post_is_403_saying_it_is_not_configured()
    {
        using var signer = new SendGridEventSigner();
        using var client = App.CreateClient();

        var (status, body) = await signer.PostAsync(client, SendGridEventSigner.Event("delivered", Guid.NewGuid().ToString(), "ann@example.com", "m1"));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("not configured", body);
        Assert.Contains("Channels:Email:SendGrid:EventWebhookPublicKey", body);
    }
}

public sealed class SendGridEventWebhookKeyTests
{
    private static EmailOptions WithKey(string key) => new() { SendGrid = new SendGridOptions { EventWebhookPublicKey = key } };

    [Fact]
    public void An_unreadable_key_fails_options_validation_with_where_to_find_a_good_one()
    {
        var result = new EventWebhookKeyValidation().Validate(null, WithKey("not-a-key"));

        Assert.True(result.Failed);
        Assert.Contains("Channels:Email:SendGrid:EventWebhookPublicKey", result.FailureMessage);
        Assert.Contains("Signature Verification", result.FailureMessage);
    }

    [Fact]
    public void The_base64_key_SendGrid_shows_and_its_PEM_form_are_both_accepted()
    {
        using var signer = new SendGridEventSigner();
        var pem = $"-----BEGIN PUBLIC KEY-----\n{signer.PublicKey}\n-----END PUBLIC KEY-----\n";

        Assert.True(new EventWebhookKeyValidation().Validate(null, WithKey(signer.PublicKey)).Succeeded);
        Assert.True(new EventWebhookKeyValidation().Validate(null, WithKey(pem)).Succeeded);
        Assert.True(new EventWebhookKeyValidation().Validate(null, WithKey("")).Succeeded);
    }
}
