using CommsHub.Core.Channels.Email;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Channels.Webhook;
using CommsHub.Core.Common;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Subscribers;

public readonly record struct SubscriberAddress(Channel Channel, string Address);

/// <summary>
/// Turns what a person typed (an email, a phone number or a webhook URL) into the one normalised
/// address CommsHub stores and deduplicates on: lower-cased email, E.164 number, a webhook URL
/// that passed the SSRF policy.
/// </summary>
public sealed class SubscriberAddresses(IOptions<SmsOptions> sms, WebhookTargetPolicy webhooks)
{
    public async Task<SubscriberAddress?> ParseAsync(string? email, string? phone, string? webhookUrl, FieldErrors errors, CancellationToken cancellationToken)
    {
        var given = new[] { email, phone, webhookUrl }.Count(v => !string.IsNullOrWhiteSpace(v));
        if (given != 1)
        {
            errors.Add(given == 0 ? "email" : "$", "give exactly one of email, phone or webhookUrl.");
            return null;
        }
        if (!string.IsNullOrWhiteSpace(email))
        {
            if (EmailAddresses.TryNormalize(email, out var normalized))
            {
                return new SubscriberAddress(Channel.Email, normalized);
            }
            errors.Add("email", $"'{email}' is not a valid email address.");
            return null;
        }
        if (!string.IsNullOrWhiteSpace(phone))
        {
            if (PhoneNumberNormalizer.TryNormalize(phone, sms.Value.DefaultRegion, out var e164, out var error))
            {
                return new SubscriberAddress(Channel.Sms, e164);
            }
            errors.Add("phone", error ?? $"'{phone}' is not a valid phone number.");
            return null;
        }
        var check = await webhooks.CheckAsync(webhookUrl, cancellationToken);
        if (check.Ok)
        {
            return new SubscriberAddress(Channel.Webhook, check.NormalizedUrl!);
        }
        errors.Add("webhookUrl", check.Error ?? "webhookUrl is not allowed.");
        return null;
    }
}
