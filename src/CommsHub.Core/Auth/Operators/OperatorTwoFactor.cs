using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Data;
using CommsHub.Core.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Auth.Operators;

/// <summary>What the enrolment page shows: the secret to type or the URI (as a QR code) to scan.</summary>
public sealed record TwoFactorEnrolment(string Secret, string OtpAuthUri);

/// <summary>
/// Turning TOTP on and off for oneself. The secret is stored (protected) when the page is first
/// shown but only counts once a code from the app confirms it; both switches need a current code,
/// and both rotate the security stamp, ending the account's other sessions.
/// </summary>
public sealed class OperatorTwoFactor(CommsHubDbContext db, OperatorTotp totp, OperatorSignIn signIn, OperatorStamps stamps,
    IOptions<CommsHubOptions> hub, TimeProvider time)
{
    /// <summary>The pending secret to enrol, made on first call; null when two-factor is already on or the operator is gone.</summary>
    public async Task<TwoFactorEnrolment?> EnrolmentAsync(Guid operatorId, CancellationToken cancellationToken)
    {
        var op = await db.Operators.FirstOrDefaultAsync(o => o.Id == operatorId, cancellationToken);
        if (op is null || op.TwoFactorEnabled)
        {
            return null;
        }
        if (op.TotpSecret is null)
        {
            op.TotpSecret = totp.NewProtectedSecret();
            op.TotpLastStep = null;
            await db.SaveChangesAsync(cancellationToken);
        }
        return new TwoFactorEnrolment(totp.DisplaySecret(op.TotpSecret), totp.OtpAuthUri(op.TotpSecret, hub.Value.PageName, op.Email));
    }

    /// <returns>The operator with its new stamp, or null when the code is wrong (or was used already).</returns>
    public Task<Operator?> EnableAsync(Guid operatorId, string? code, CancellationToken cancellationToken) =>
        SwitchAsync(operatorId, code, enable: true, cancellationToken);

    public Task<Operator?> DisableAsync(Guid operatorId, string? code, CancellationToken cancellationToken) =>
        SwitchAsync(operatorId, code, enable: false, cancellationToken);

    private async Task<Operator?> SwitchAsync(Guid operatorId, string? code, bool enable, CancellationToken cancellationToken)
    {
        var op = await db.Operators.FirstOrDefaultAsync(o => o.Id == operatorId, cancellationToken);
        if (op is null || op.TwoFactorEnabled == enable || !await signIn.SpendCodeAsync(op, code, cancellationToken))
        {
            return null;
        }
        op.TwoFactorEnabled = enable;
        if (!enable)
        {
            op.TotpSecret = null;
            op.TotpLastStep = null;
        }
        op.SecurityStamp = OperatorTokens.NewStamp();
        op.UpdatedAt = time.GetUtcNow();
        AuditLog.Append(db, op.UpdatedAt, CommsHubClaims.OperatorActor(op.Email), enable ? "operator.two_factor_enabled" : "operator.two_factor_disabled",
            op.Id.ToString(), new JsonObject());
        await db.SaveChangesAsync(cancellationToken);
        stamps.Forget(op.Id);
        return op;
    }
}
