using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Data;
using CommsHub.Core.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Auth.Operators;

/// <summary>Passwords set through a one-time link: the invitation's, or a reset's.</summary>
public sealed class OperatorCredentials(
    CommsHubDbContext db,
    OperatorTokens tokens,
    OperatorPasswords passwords,
    OperatorMail mail,
    OperatorStamps stamps,
    IOptions<CommsHubOptions> hub,
    TimeProvider time)
{
    /// <summary>The operator a link is for, or null when it is forged, expired or already used.</summary>
    public async Task<Operator?> ReadLinkAsync(string? token, OperatorTokenPurpose purpose, CancellationToken cancellationToken)
    {
        if (tokens.Read(token, purpose) is not { } link)
        {
            return null;
        }
        var (id, stamp) = link;
        var op = await db.Operators.FirstOrDefaultAsync(o => o.Id == id, cancellationToken);
        // The stamp changes when a password is set: that is what makes the link one-time.
        return op is not null && op.SecurityStamp == stamp && (purpose != OperatorTokenPurpose.Invitation || op.PasswordHash is null) ? op : null;
    }

    /// <returns>Null when the password was set; otherwise what is wrong (<see cref="LinkInvalid"/> for a dead link).</returns>
    public async Task<string?> SetPasswordAsync(string? token, OperatorTokenPurpose purpose, string? password, string? confirmation,
        CancellationToken cancellationToken)
    {
        var op = await ReadLinkAsync(token, purpose, cancellationToken);
        if (op is null)
        {
            return LinkInvalid;
        }
        if (OperatorPasswords.Problem(password, op.Email) is { } problem)
        {
            return problem;
        }
        if (password != confirmation)
        {
            return "The two passwords are not the same.";
        }
        op.PasswordHash = passwords.Hash(op, password!);
        op.SecurityStamp = OperatorTokens.NewStamp();
        // Whoever can read the mailbox may sign in again: the reset ends a lockout.
        op.AccessFailedCount = 0;
        op.LockoutEnd = null;
        op.UpdatedAt = time.GetUtcNow();
        AuditLog.Append(db, op.UpdatedAt, CommsHubClaims.OperatorActor(op.Email), "operator.password_set", op.Id.ToString(),
            new JsonObject { ["via"] = purpose == OperatorTokenPurpose.Invitation ? "invitation" : "reset" });
        await db.SaveChangesAsync(cancellationToken);
        stamps.Forget(op.Id);
        return null;
    }

    public const string LinkInvalid = "This link has expired or has already been used.";

    /// <summary>
    /// Mails a reset link when the address has an account, and says nothing either way: the page
    /// answers the same for every address. An account still waiting for its first password gets
    /// a new invitation instead.
    /// </summary>
    public async Task RequestResetAsync(string? email, CancellationToken cancellationToken)
    {
        if (!EmailAddresses.TryNormalize(email, out var normalized))
        {
            return;
        }
        var op = await db.Operators.AsNoTracking().FirstOrDefaultAsync(o => o.Email == normalized, cancellationToken);
        if (op is null)
        {
            return;
        }
        var (purpose, lifetime, path) = op.PasswordHash is null
            ? (OperatorTokenPurpose.Invitation, OperatorRules.InvitationLifetime, "/invitation")
            : (OperatorTokenPurpose.Reset, OperatorRules.ResetLifetime, "/reset-password");
        var url = hub.Value.Link(path + "?token=" + Uri.EscapeDataString(tokens.Issue(op, purpose, lifetime)));
        await mail.SendLinkAsync(op, purpose, url, time.GetUtcNow() + lifetime, cancellationToken);
    }
}
