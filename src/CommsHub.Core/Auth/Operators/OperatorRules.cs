namespace CommsHub.Core.Auth.Operators;

/// <summary>The fixed rules of local operator accounts, in one place so the docs can quote them.</summary>
public static class OperatorRules
{
    /// <summary>An invitation link works once, for a week: long enough to reach someone on leave.</summary>
    public static readonly TimeSpan InvitationLifetime = TimeSpan.FromDays(7);

    /// <summary>A reset link works once, for an hour: whoever reads the mailbox later cannot use it.</summary>
    public static readonly TimeSpan ResetLifetime = TimeSpan.FromHours(1);

    /// <summary>Between a right password and the two-factor code.</summary>
    public static readonly TimeSpan TwoFactorStepLifetime = TimeSpan.FromMinutes(5);

    /// <summary>Failed sign-ins (wrong password or wrong code) in a row that lock an account.</summary>
    public const int MaxFailedAttempts = 5;

    public static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);

    public const int MinPasswordLength = 12;

    /// <summary>Longer than any passphrase a person types; stops hashing megabytes on request.</summary>
    public const int MaxPasswordLength = 256;

    public const int MaxNameLength = 200;
}
