using CommsHub.Core.Channels.Sms;
using Microsoft.Extensions.Options;
using PhoneNumbers;

namespace CommsHub.Core.Subscribers;

/// <summary>
/// Which numbers may subscribe themselves by SMS. SMS pumping (toll fraud) works by making a sender
/// text numbers whose operator shares the termination fee with the attacker: premium-rate,
/// shared-cost, UAN and personal numbers, and numbers in far-away countries with high rates. A
/// number the public types must be in <see cref="SelfSubscribedSmsOptions.AllowedCountries"/> and of
/// a kind a person carries (mobile, fixed line, VoIP, toll-free); anything libphonenumber cannot type
/// is refused too. Operators adding subscribers themselves (admin API, import) are not limited: they
/// vouch for the numbers they add.
/// </summary>
public sealed class SelfSubscribedNumbers(IOptions<PublicSubscriptionOptions> options, IOptions<SmsOptions> sms)
{
    private static readonly Dictionary<PhoneNumberType, string> Refused = new()
    {
        [PhoneNumberType.PREMIUM_RATE] = "a premium-rate number",
        [PhoneNumberType.SHARED_COST] = "a shared-cost number",
        [PhoneNumberType.UAN] = "a universal access number",
        [PhoneNumberType.PERSONAL_NUMBER] = "a personal (forwarding) number",
        [PhoneNumberType.PAGER] = "a pager number",
        [PhoneNumberType.VOICEMAIL] = "a voicemail number",
        [PhoneNumberType.UNKNOWN] = "a number whose kind is unknown",
    };

    /// <summary>The allowed ISO 3166 codes: configured, or the sender's country, or the default region.</summary>
    public IReadOnlySet<string> AllowedCountries
    {
        get
        {
            var configured = options.Value.Sms.Countries().ToHashSet(StringComparer.Ordinal);
            if (configured.Count > 0)
            {
                return configured;
            }
            var s = sms.Value;
            var sender = s.FromIsMessagingService ? null : PhoneNumberNormalizer.RegionOf(s.From);
            return new HashSet<string>([sender ?? s.DefaultRegion.Trim().ToUpperInvariant()], StringComparer.Ordinal);
        }
    }

    /// <returns>Why the public may not subscribe this number, in words for the person who typed it; null when it may.</returns>
    public string? Refusal(string? typed)
    {
        if (!PhoneNumberNormalizer.TryNormalize(typed, sms.Value.DefaultRegion, out var e164, out _))
        {
            return null; // not a number at all: the address check says what is wrong with it
        }
        var (region, type) = PhoneNumberNormalizer.Classify(e164);
        if (Refused.TryGetValue(type, out var kind))
        {
            return $"This is {kind}; text messages are not sent to numbers of this kind. Use a mobile number.";
        }
        var allowed = AllowedCountries;
        if (region is null || !allowed.Contains(region))
        {
            return $"Numbers from {region ?? "this numbering plan"} cannot subscribe here; numbers from {string.Join(", ", allowed.Order(StringComparer.Ordinal))} can.";
        }
        return null;
    }
}
