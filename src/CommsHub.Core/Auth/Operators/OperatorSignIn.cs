using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Auth.Operators;

public enum SignInOutcome
{
    SignedIn,

    /// <summary>The password was right; <see cref="SignInAttempt.PendingToken"/> carries the sign-in to the code step.</summary>
    TwoFactorRequired,

    /// <summary>Unknown email, wrong password or code, or an account without a password yet: one answer for all.</summary>
    Failed,

    LockedOut,

    /// <summary>The code step took too long, or the account changed meanwhile: start again.</summary>
    Expired,
}

public sealed record SignInAttempt(SignInOutcome Outcome, Operator? Operator = null, string? PendingToken = null, DateTimeOffset? LockedUntil = null);

/// <summary>
/// Local sign-in, as ASP.NET Core Identity's SignInManager does it: a locked account answers
/// <see cref="SignInOutcome.LockedOut"/> before its password is checked; each wrong password or
/// code counts, and the <see cref="OperatorRules.MaxFailedAttempts"/>th locks the account for
/// <see cref="OperatorRules.LockoutDuration"/>; a full sign-in (with the code, when two-factor is on)
/// clears the count. Counting is done in the database (one conditional UPDATE), so parallel
/// guesses cannot slip past the limit.
/// </summary>
public sealed class OperatorSignIn(CommsHubDbContext db, OperatorPasswords passwords, OperatorTotp totp, OperatorTokens tokens, TimeProvider time)
{
    public async Task<SignInAttempt> PasswordAsync(string? email, string? password, CancellationToken cancellationToken)
    {
        password ??= "";
        Operator? op = null;
        if (EmailAddresses.TryNormalize(email, out var normalized))
        {
            op = await db.Operators.FirstOrDefaultAsync(o => o.Email == normalized, cancellationToken);
        }
        if (op?.PasswordHash is null)
        {
            passwords.HashDecoy(password);
            return new SignInAttempt(SignInOutcome.Failed);
        }
        if (LockedUntil(op) is { } until)
        {
            return new SignInAttempt(SignInOutcome.LockedOut, op, LockedUntil: until);
        }
        var (matches, rehash) = passwords.Verify(op, password);
        if (!matches)
        {
            return await FailAsync(op, cancellationToken);
        }
        if (rehash is not null)
        {
            op.PasswordHash = rehash;
            await db.SaveChangesAsync(cancellationToken);
        }
        if (op.TwoFactorEnabled && op.TotpSecret is not null)
        {
            return new SignInAttempt(SignInOutcome.TwoFactorRequired, op, tokens.Issue(op, OperatorTokenPurpose.TwoFactor, OperatorRules.TwoFactorStepLifetime));
        }
        return await SucceedAsync(op, "password", cancellationToken);
    }

    public async Task<SignInAttempt> TwoFactorAsync(string? pendingToken, string? code, CancellationToken cancellationToken)
    {
        if (tokens.Read(pendingToken, OperatorTokenPurpose.TwoFactor) is not { } pending)
        {
            return new SignInAttempt(SignInOutcome.Expired);
        }
        var op = await db.Operators.FirstOrDefaultAsync(o => o.Id == pending.OperatorId, cancellationToken);
        if (op is null || op.SecurityStamp != pending.Stamp || !op.TwoFactorEnabled || op.TotpSecret is null)
        {
            return new SignInAttempt(SignInOutcome.Expired);
        }
        if (LockedUntil(op) is { } until)
        {
            return new SignInAttempt(SignInOutcome.LockedOut, op, LockedUntil: until);
        }
        if (!await SpendCodeAsync(op, code, cancellationToken))
        {
            return await FailAsync(op, cancellationToken);
        }
        return await SucceedAsync(op, "password+totp", cancellationToken);
    }

    /// <summary>Whether the code is right now and was not used before; if so, its step is recorded as used.</summary>
    public async Task<bool> SpendCodeAsync(Operator op, string? code, CancellationToken cancellationToken)
    {
        if (op.TotpSecret is null || totp.Match(op.TotpSecret, code) is not { } step)
        {
            return false;
        }
        // The conditional UPDATE is the once-only rule: of two requests with the same code, one wins.
        var claimed = await db.Operators.Where(o => o.Id == op.Id && (o.TotpLastStep == null || o.TotpLastStep < step))
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.TotpLastStep, step), cancellationToken);
        if (claimed == 0)
        {
            return false;
        }
        op.TotpLastStep = step;
        db.Entry(op).Property(o => o.TotpLastStep).IsModified = false;
        return true;
    }

    private DateTimeOffset? LockedUntil(Operator op) => op.LockoutEnd is { } end && end > time.GetUtcNow() ? end : null;

    private async Task<SignInAttempt> FailAsync(Operator op, CancellationToken cancellationToken)
    {
        await db.Operators.Where(o => o.Id == op.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.AccessFailedCount, o => o.AccessFailedCount + 1), cancellationToken);
        var until = time.GetUtcNow() + OperatorRules.LockoutDuration;
        // As Identity does: the count starts again from zero once it has locked the account.
        var locked = await db.Operators.Where(o => o.Id == op.Id && o.AccessFailedCount >= OperatorRules.MaxFailedAttempts)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.LockoutEnd, until).SetProperty(o => o.AccessFailedCount, 0), cancellationToken);
        if (locked == 0)
        {
            return new SignInAttempt(SignInOutcome.Failed);
        }
        AuditLog.Append(db, time.GetUtcNow(), CommsHubClaims.OperatorActor(op.Email), "operator.locked_out", op.Id.ToString(),
            new JsonObject { ["until"] = until.ToString("O") });
        await db.SaveChangesAsync(cancellationToken);
        return new SignInAttempt(SignInOutcome.LockedOut, op, LockedUntil: until);
    }

    private async Task<SignInAttempt> SucceedAsync(Operator op, string method, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await db.Operators.Where(o => o.Id == op.Id).ExecuteUpdateAsync(s => s
            .SetProperty(o => o.AccessFailedCount, 0)
            .SetProperty(o => o.LockoutEnd, (DateTimeOffset?)null)
            .SetProperty(o => o.LastSignInAt, now), cancellationToken);
        AuditLog.Append(db, now, CommsHubClaims.OperatorActor(op.Email), "operator.signed_in", op.Id.ToString(), new JsonObject { ["method"] = method });
        await db.SaveChangesAsync(cancellationToken);
        op.AccessFailedCount = 0;
        op.LockoutEnd = null;
        op.LastSignInAt = now;
        return new SignInAttempt(SignInOutcome.SignedIn, op);
    }
}
