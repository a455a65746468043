using PhoneNumbers;

namespace CommsHub.Core.Channels.Sms;

/// <summary>
/// Subscriber and sender numbers, normalised to E.164 with libphonenumber.
/// Not called <c>PhoneNumbers</c>: libphonenumber's global <c>PhoneNumbers</c> namespace would win
/// name lookup in every caller outside this namespace and hide the class.
/// </summary>
public static class PhoneNumberNormalizer
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <summary>Whether libphonenumber has numbering data for an ISO 3166 region code (any case).</summary>
    public static bool IsKnownRegion(string? region) =>
        !string.IsNullOrWhiteSpace(region) && Util.GetSupportedRegions().Contains(region.Trim().ToUpperInvariant());

    /// <summary>The region (ISO 3166, or null for a non-geographic code) and libphonenumber's type of an E.164 number.</summary>
    public static (string? Region, PhoneNumberType Type) Classify(string e164)
    {
        var number = Util.Parse(e164, null);
        var region = Util.GetRegionCodeForNumber(number);
        return (region is null or "001" or "ZZ" ? null : region, Util.GetNumberType(number));
    }

    /// <summary>The region of an E.164 number, or null when it is not one.</summary>
    public static string? RegionOf(string? e164) =>
        TryNormalize(e164, "ZZ", out var normalized, out _) ? Classify(normalized).Region : null;

    /// <summary>
    /// Parses what a person typed: international (<c>+44 20 7946 0958</c>, or the default region's
    /// international prefix such as <c>011 44…</c> from the US) or national (<c>(202) 555-0173</c> with
    /// <paramref name="defaultRegion"/> US). On success <paramref name="e164"/> is strictly E.164;
    /// otherwise <paramref name="error"/> says what is wrong in words a subscriber can act on.
    /// </summary>
    public static bool TryNormalize(string? input, string defaultRegion, out string e164, out string? error)
    {
        e164 = "";
        var text = input?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            error = "A phone number is required.";
            return false;
        }
        var region = defaultRegion?.Trim().ToUpperInvariant() ?? "";

        PhoneNumber number;
        try
        {
            number = Util.Parse(text, region);
        }
        catch (NumberParseException ex)
        {
            error = ex.ErrorType switch
            {
                ErrorType.INVALID_COUNTRY_CODE => $"'{text}' has no recognisable country code: write it as + and the country code, e.g. +44 20 7946 0958.",
                ErrorType.TOO_SHORT_NSN or ErrorType.TOO_SHORT_AFTER_IDD => $"'{text}' is too short to be a phone number.",
                ErrorType.TOO_LONG => $"'{text}' is too long to be a phone number.",
                _ => $"'{text}' is not a phone number.",
            };
            return false;
        }

        if (!string.IsNullOrEmpty(number.Extension))
        {
            error = $"'{text}' has an extension; text messages go to the line itself, so leave the extension out.";
            return false;
        }
        var countryCode = $"+{number.CountryCode}";
        // A national number that does not fit the default region is most often a foreign number typed without its country code.
        var hint = text.StartsWith('+') ? "" : $" If it is not a {region} number, write it with + and its country code.";
        error = Util.IsPossibleNumberWithReason(number) switch
        {
            PhoneNumberUtil.ValidationResult.TOO_SHORT => $"'{text}' has too few digits for a {countryCode} number.{hint}",
            PhoneNumberUtil.ValidationResult.TOO_LONG => $"'{text}' has too many digits for a {countryCode} number.{hint}",
            PhoneNumberUtil.ValidationResult.INVALID_COUNTRY_CODE => $"'{text}' does not start with a known country code.",
            PhoneNumberUtil.ValidationResult.INVALID_LENGTH => $"'{text}' does not have the right number of digits for a {countryCode} number.{hint}",
            _ when !Util.IsValidNumber(number) => $"'{text}' is not a number in use for {countryCode}: check the digits.{hint}",
            _ => null,
        };
        if (error is not null)
        {
            return false;
        }
        e164 = Util.Format(number, PhoneNumberFormat.E164);
        return true;
    }
}
