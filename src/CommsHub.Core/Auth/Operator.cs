namespace CommsHub.Core.Auth;

/// <summary>
/// A person who runs the status page, signed in with a local account (password, optional TOTP) or
/// through OpenID Connect. The role gives the scopes: viewer = read, responder = read + publish, admin = all.
/// </summary>
public sealed class Operator
{
    public Guid Id { get; init; }

    /// <summary>Lower-cased; unique.</summary>
    public required string Email { get; set; }
    public required string Name { get; set; }

    /// <summary><see cref="OperatorRoles"/>: viewer, responder or admin.</summary>
    public required string Role { get; set; }

    /// <summary>ASP.NET Core Identity's password hash; null until the invitation is accepted.</summary>
    public string? PasswordHash { get; set; }

    /// <summary>Changes whenever the credentials or the role change: one-time links and sessions issued before it stop working.</summary>
    public required string SecurityStamp { get; set; }

    /// <summary>The TOTP shared secret, protected with Data Protection; null without two-factor.</summary>
    public string? TotpSecret { get; set; }
    public bool TwoFactorEnabled { get; set; }

    /// <summary>The last TOTP time step accepted: a code is good once.</summary>
    public long? TotpLastStep { get; set; }

    public int AccessFailedCount { get; set; }
    public DateTimeOffset? LockoutEnd { get; set; }

    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? LastSignInAt { get; set; }
}
