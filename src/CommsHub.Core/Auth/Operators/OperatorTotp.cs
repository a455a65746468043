using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using OtpNet;

namespace CommsHub.Core.Auth.Operators;

/// <summary>
/// RFC 6238 codes (SHA-1, 6 digits, 30-second steps, what every authenticator app reads from an
/// otpauth URI). A code one step early or late is accepted, for clock drift; the caller records
/// the step so each code works once. The shared secret is stored protected by Data Protection.
/// </summary>
public sealed class OperatorTotp(IDataProtectionProvider provider, TimeProvider time)
{
    private readonly IDataProtector _protector = provider.CreateProtector("CommsHub.Operators.Totp.v1");

    /// <summary>A new 160-bit secret, protected for storage.</summary>
    public string NewProtectedSecret() => Convert.ToBase64String(_protector.Protect(KeyGeneration.GenerateRandomKey(20)));

    /// <summary>The secret as people type it into an app: Base32, in groups of four.</summary>
    public string DisplaySecret(string protectedSecret) =>
        string.Join(' ', Base32Encoding.ToString(Unprotect(protectedSecret)).Chunk(4).Select(c => new string(c)));

    public string OtpAuthUri(string protectedSecret, string issuer, string account) =>
        new OtpUri(OtpType.Totp, Unprotect(protectedSecret), account, issuer).ToString();

    /// <summary>The time step the code belongs to, or null when it matches none in the window.</summary>
    public long? Match(string protectedSecret, string? code)
    {
        var digits = new string((code ?? "").Where(c => !char.IsWhiteSpace(c)).ToArray());
        if (digits.Length != 6 || !digits.All(char.IsAsciiDigit))
        {
            return null;
        }
        byte[] secret;
        try
        {
            secret = Unprotect(protectedSecret);
        }
        catch (CryptographicException)
        {
            return null; // the key ring lost the key: the operator needs an admin to reset two-factor
        }
        var totp = new Totp(secret);
        return totp.VerifyTotp(time.GetUtcNow().UtcDateTime, digits, out var step, new VerificationWindow(previous: 1, future: 1)) ? step : null;
    }

    private byte[] Unprotect(string protectedSecret) => _protector.Unprotect(Convert.FromBase64String(protectedSecret));
}
