using CommsHub.Core.Channels.Email;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Channels.Webhook;
using CommsHub.Core.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Subscribers;

public readonly record struct SubscriberAddress(Channel Channel, string Address);

/// <summary>
/// Turns what a person typed (an email, a phone number or a webhook URL) into the one normalised
/// address CommsHub stores and deduplicates on: lower-cased email, E.164 number, a webhook URL
/// that passed the SSRF policy.
/// </summary>
/// <remarks>
/// Operators are told exactly why a webhook URL is refused; the public is told only that the address cannot
/// receive webhooks, so the subscribe form cannot be used to map what names resolve to inside the network.
/// </remarks>
public sealed class SubscriberAddresses(IOptions<SmsOptions> sms, WebhookTargetPolicy webhooks, ILogger<SubscriberAddresses> logger)
{
    /// <summary>For operators: errors say everything that is wrong.</summary>
    public Task<SubscriberAddress?> ParseAsync(string? email, string? phone, string? webhookUrl, FieldErrors errors, CancellationToken cancellationToken) =>
        ParseAsync(email, phone, webhookUrl, errors, publicCaller: false, cancellationToken);

    /// <summary>For anyone: errors say what is wrong with the input, never what a host resolves to (that goes to the log).</summary>
    public Task<SubscriberAddress?> ParsePublicAsync(string? email, string? phone, string? webhookUrl, FieldErrors errors, CancellationToken cancellationToken) =>
        ParseAsync(email, phone, webhookUrl, errors, publicCaller: true, cancellationToken);

    private async Task<SubscriberAddress?> ParseAsync(string? email, string? phone, string? webhookUrl, FieldErrors errors, bool publicCaller, CancellationToken cancellationToken)
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
        if (publicCaller && check.TargetRefused)
        {
            // The detail names the host and its addresses, never the path or query (which may hold a token).
            logger.LogInformation("A public webhook subscription was refused: {Reason}", check.Error);
        }
        errors.Add("webhookUrl", (publicCaller ? check.PublicError : check.Error) ?? "webhookUrl is not allowed.");
        return null;
    }
}
