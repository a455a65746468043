using Microsoft.AspNetCore.Identity;

namespace CommsHub.Core.Auth.Operators;

/// <summary>
/// Password rules and ASP.NET Core Identity's hasher (PBKDF2 with a per-hash salt; a hash in an
/// older format is re-hashed at the next sign-in).
/// </summary>
public sealed class OperatorPasswords
{
    private readonly PasswordHasher<Operator> _hasher = new();

    // A hash of nothing in particular: an unknown email costs the same hashing as a known one.
    private readonly string _decoy;

    public OperatorPasswords() => _decoy = _hasher.HashPassword(null!, "decoy password for unknown accounts");

    /// <summary>Why the password is refused, or null when it is acceptable.</summary>
    public static string? Problem(string? password, string email)
    {
        if (string.IsNullOrEmpty(password) || password.Length < OperatorRules.MinPasswordLength)
        {
            return $"Use at least {OperatorRules.MinPasswordLength} characters.";
        }
        if (password.Length > OperatorRules.MaxPasswordLength)
        {
            return $"Use at most {OperatorRules.MaxPasswordLength} characters.";
        }
        if (string.Equals(password.Trim(), email, StringComparison.OrdinalIgnoreCase)
            || string.Equals(password.Trim(), email.Split('@')[0], StringComparison.OrdinalIgnoreCase))
        {
            return "Do not use your email address as your password.";
        }
        return null;
    }

    public string Hash(Operator op, string password) => _hasher.HashPassword(op, password);

    /// <returns>Whether it matches, and a new hash when the stored one should be upgraded.</returns>
    public (bool Matches, string? Rehash) Verify(Operator op, string password)
    {
        if (op.PasswordHash is null || password.Length > OperatorRules.MaxPasswordLength)
        {
            HashDecoy(password);
            return (false, null);
        }
        return _hasher.VerifyHashedPassword(op, op.PasswordHash, password) switch
        {
            PasswordVerificationResult.Success => (true, null),
            PasswordVerificationResult.SuccessRehashNeeded => (true, _hasher.HashPassword(op, password)),
            _ => (false, null),
        };
    }

    public void HashDecoy(string password) =>
        _hasher.VerifyHashedPassword(null!, _decoy, password.Length > OperatorRules.MaxPasswordLength ? "" : password);
}
