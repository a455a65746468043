using CommsHub.Core.Channels.Email;
using CommsHub.Core.Common;

namespace CommsHub.Core.Subscribers;

public readonly record struct SubscriberAddress(Channel Channel, string Address);

/// <summary>
/// Turns what a person typed (an email, a phone number or a webhook URL) into the one normalised
/// address CommsHub stores and deduplicates on.
/// </summary>
public sealed class SubscriberAddresses
{
    public static Task<SubscriberAddress?> ParseAsync(string? email, string? phone, string? webhookUrl, FieldErrors errors, CancellationToken cancellationToken)
    {
        var given = new[] { email, phone, webhookUrl }.Count(v => !string.IsNullOrWhiteSpace(v));
        if (given != 1)
        {
            errors.Add(email is null && phone is null && webhookUrl is null ? "email" : "$", "give exactly one of email, phone or webhookUrl.");
            return Task.FromResult<SubscriberAddress?>(null);
        }
        if (!string.IsNullOrWhiteSpace(email))
        {
            if (EmailAddresses.TryNormalize(email, out var normalized))
            {
                return Task.FromResult<SubscriberAddress?>(new SubscriberAddress(Channel.Email, normalized));
            }
            errors.Add("email", $"'{email}' is not a valid email address.");
            return Task.FromResult<SubscriberAddress?>(null);
        }
        if (!string.IsNullOrWhiteSpace(phone))
        {
            errors.Add("phone", "SMS subscriptions are not available in this version; subscribe by email.");
            return Task.FromResult<SubscriberAddress?>(null);
        }
        errors.Add("webhookUrl", "webhook subscriptions are not available in this version; subscribe by email.");
        return Task.FromResult<SubscriberAddress?>(null);
    }
}
