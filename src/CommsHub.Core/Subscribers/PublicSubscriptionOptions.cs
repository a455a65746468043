using System.ComponentModel.DataAnnotations;
using CommsHub.Core.Channels.Sms;

namespace CommsHub.Core.Subscribers;

/// <summary>
/// What keeps the public subscription surface from being turned against its own users and the
/// operator's bill (the <c>Subscriptions</c> section, beside <see cref="SubscriptionOptions"/>).
/// Every protection is documented with its defaults in docs/security.md.
/// </summary>
public sealed class PublicSubscriptionOptions : IValidatableObject
{
    public const string Section = "Subscriptions";

    public SelfSubscribedSmsOptions Sms { get; set; } = new();

    /// <summary>Confirmation messages the public may cause, per channel, across every process (counted in the database).</summary>
    public ConfirmationBudgets Budget { get; set; } = new();

    /// <summary>
    /// Public requests per mailbox, phone number or webhook host per <see cref="AddressRateLimitWindow"/>, whatever the
    /// spelling: <c>victim+1@example.com</c> and <c>victim+2@example.com</c> share one allowance.
    /// </summary>
    public int AddressRateLimitPermits { get; set; } = 3;
    public TimeSpan AddressRateLimitWindow { get; set; } = TimeSpan.FromHours(1);

    public CaptchaOptions Captcha { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var code in Sms.Countries())
        {
            if (!PhoneNumberNormalizer.IsKnownRegion(code))
            {
                yield return new ValidationResult(
                    $"Subscriptions:Sms:AllowedCountries names '{code}', which is not a region with phone numbering: use ISO 3166 two-letter codes separated by ';', e.g. US;CA.",
                    ["Sms.AllowedCountries"]);
            }
        }
        foreach (var (name, budget) in Budget.All())
        {
            if (budget.PerHour < 0 || budget.PerDay < 0)
            {
                yield return new ValidationResult($"Subscriptions:Budget:{name}:PerHour and :PerDay must be 0 (none allowed) or more.", [$"Budget.{name}"]);
            }
        }
        if (AddressRateLimitPermits < 1 || AddressRateLimitWindow <= TimeSpan.Zero)
        {
            yield return new ValidationResult(
                "Subscriptions:AddressRateLimitPermits must be at least 1 and Subscriptions:AddressRateLimitWindow positive (e.g. 3 and 01:00:00).",
                [nameof(AddressRateLimitPermits)]);
        }
        foreach (var error in Captcha.Validate())
        {
            yield return error;
        }
    }
}

public sealed class SelfSubscribedSmsOptions
{
    /// <summary>
    /// ISO 3166 codes separated by <c>;</c>. Empty: the country of <c>Channels:Sms:From</c> when that is a number,
    /// else <c>Channels:Sms:DefaultRegion</c> (a Messaging Service SID names no country).
    /// </summary>
    public string AllowedCountries { get; set; } = "";

    public IEnumerable<string> Countries() =>
        AllowedCountries.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(c => c.ToUpperInvariant());
}

public sealed class ConfirmationBudgets
{
    public ChannelBudget Email { get; set; } = new() { PerHour = 500, PerDay = 2000 };

    /// <summary>SMS costs money per message: the tightest budget.</summary>
    public ChannelBudget Sms { get; set; } = new() { PerHour = 50, PerDay = 200 };
    public ChannelBudget Webhook { get; set; } = new() { PerHour = 200, PerDay = 1000 };

    public ChannelBudget For(Common.Channel channel) => channel switch
    {
        Common.Channel.Sms => Sms,
        Common.Channel.Webhook => Webhook,
        _ => Email,
    };

    internal IEnumerable<(string Name, ChannelBudget Budget)> All() => [("Email", Email), ("Sms", Sms), ("Webhook", Webhook)];
}

public sealed class ChannelBudget
{
    public int PerHour { get; set; }
    public int PerDay { get; set; }
}
