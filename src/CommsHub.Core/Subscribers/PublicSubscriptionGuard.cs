using System.Net;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Common;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Subscribers;

/// <summary>
/// Everything a public subscription request must pass before <see cref="SubscriberService.SubscribeAsync"/>
/// looks at it, cheapest and least revealing first: the CAPTCHA, the kind and country of a phone
/// number, the per-recipient allowance, then the channel's budget. Every refusal depends on the
/// request and on totals only, never on whether the address is already subscribed.
/// </summary>
public sealed class PublicSubscriptionGuard(
    CaptchaVerifier captcha,
    SelfSubscribedNumbers numbers,
    AddressThrottle throttle,
    ConfirmationBudget budget,
    IOptions<SmsOptions> sms)
{
    /// <exception cref="ValidationException">The CAPTCHA failed, or the number may not subscribe itself.</exception>
    /// <exception cref="TooManyRequestsException">The recipient or the channel has had enough for now.</exception>
    public async Task CheckAsync(string? email, string? phone, string? webhookUrl, string? captchaToken, IPAddress? client, CancellationToken cancellationToken)
    {
        if (captcha.Enabled && !await captcha.VerifyAsync(captchaToken, client, cancellationToken))
        {
            throw new ValidationException(new Dictionary<string, string[]>
            {
                [captcha.TokenField] = ["The anti-robot check was not completed or has expired: complete it and send the form again."],
            });
        }
        if (!string.IsNullOrWhiteSpace(phone) && string.IsNullOrWhiteSpace(email) && string.IsNullOrWhiteSpace(webhookUrl)
            && numbers.Refusal(phone) is { } refusal)
        {
            throw new ValidationException(new Dictionary<string, string[]> { ["phone"] = [refusal] });
        }
        if (!throttle.TryAcquire(email, phone, webhookUrl, sms.Value.DefaultRegion, out var wait))
        {
            throw new TooManyRequestsException(
                $"Too many subscription requests for this address; try again in {Minutes(wait)}.", wait);
        }
        var channel = !string.IsNullOrWhiteSpace(email) ? Channel.Email : !string.IsNullOrWhiteSpace(phone) ? Channel.Sms : Channel.Webhook;
        if (await budget.TryAdmitAsync(channel, cancellationToken) is { } later)
        {
            throw new TooManyRequestsException(
                $"We are receiving too many subscription requests right now; try again in {Minutes(later)}.", later);
        }
    }

    private static string Minutes(TimeSpan wait) => wait < TimeSpan.FromMinutes(1.5)
        ? $"{Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))} s"
        : $"{(int)Math.Ceiling(wait.TotalMinutes)} minutes";
}
