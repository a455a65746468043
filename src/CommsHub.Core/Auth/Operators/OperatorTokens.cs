using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace CommsHub.Core.Auth.Operators;

/// <summary>What a token lets its bearer do.</summary>
public enum OperatorTokenPurpose
{
    /// <summary>Set the first password of an invited account.</summary>
    Invitation,

    /// <summary>Set a new password after <c>/forgot-password</c>.</summary>
    Reset,

    /// <summary>The password was right; the two-factor code is still to come.</summary>
    TwoFactor,
}

/// <summary>
/// Links and sign-in steps that name an operator: (purpose, id, security stamp, expiry) protected
/// with Data Protection, so they cannot be forged or moved to another purpose. They hold the stamp
/// at issue, and the stamp changes whenever the password, the role or two-factor changes: setting
/// a password therefore spends every link issued before it (one-time), and a deleted operator's
/// links die with the row. The expiry is checked against <see cref="TimeProvider"/>, not the
/// system clock the time-limited protector would use, so expiry is testable.
/// </summary>
public sealed class OperatorTokens(IDataProtectionProvider provider, TimeProvider time)
{
    private readonly IDataProtector _protector = provider.CreateProtector("CommsHub.Operators.Tokens.v1");

    public string Issue(Operator op, OperatorTokenPurpose purpose, TimeSpan lifetime) =>
        _protector.Protect(string.Join('|', purpose.ToString(), op.Id.ToString("N"), op.SecurityStamp,
            (time.GetUtcNow() + lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));

    /// <summary>The operator id and stamp a token names, or null when it is forged, for another purpose, or expired.</summary>
    public (Guid OperatorId, string Stamp)? Read(string? token, OperatorTokenPurpose purpose)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 2000)
        {
            return null;
        }
        string payload;
        try
        {
            payload = _protector.Unprotect(token.Trim());
        }
        catch (CryptographicException)
        {
            return null;
        }
        var parts = payload.Split('|');
        if (parts.Length != 4 || parts[0] != purpose.ToString() || !Guid.TryParseExact(parts[1], "N", out var id)
            || !long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            || time.GetUtcNow().ToUnixTimeSeconds() >= expires)
        {
            return null;
        }
        return (id, parts[2]);
    }

    public static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
}
