using CommsHub.Core.Channels.Webhook;
using Microsoft.AspNetCore.DataProtection;

namespace CommsHub.Core.Subscribers;

/// <summary>
/// A webhook subscriber's Standard Webhooks signing secret (<c>whsec_…</c>): generated here, shown
/// to the subscriber once, stored encrypted, decrypted only to sign.
/// </summary>
public sealed class SubscriberSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("CommsHub.Subscribers.WebhookSecret.v1");

    public string Issue(Subscriber subscriber)
    {
        var secret = WebhookSecrets.Generate();
        subscriber.ProtectedSecret = _protector.Protect(secret);
        return secret;
    }

    public string? Reveal(Subscriber subscriber) =>
        subscriber.ProtectedSecret is null ? null : _protector.Unprotect(subscriber.ProtectedSecret);
}
