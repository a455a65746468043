using CommsHub.Core.Channels.Email;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Auth.Operators;

/// <summary>An operator just made, and the invitation link when email is sandboxed (nobody else can receive it then).</summary>
public sealed record CreatedOperator(Operator Operator, string? InvitationUrl);

/// <summary>
/// Operator accounts as admins manage them: invite, list, change the role or name, remove, reset
/// two-factor. Every change that should end someone's sessions rotates the security stamp.
/// </summary>
public sealed class OperatorService(
    CommsHubDbContext db,
    OperatorTokens tokens,
    OperatorMail mail,
    OperatorStamps stamps,
    IOptions<CommsHubOptions> hub,
    TimeProvider time)
{
    public async Task<CreatedOperator> CreateAsync(CreateOperatorRequest request, CancellationToken cancellationToken)
    {
        var (op, url) = await StoreAsync(request, cancellationToken);
        await SendInvitationAsync(op, url, cancellationToken);
        return new CreatedOperator(op, mail.Sandboxed ? url : null);
    }

    /// <summary>Whether any operator account exists (none: the first admin is still to be set up at <c>/setup</c>).</summary>
    public Task<bool> AnyAsync(CancellationToken cancellationToken) => db.Operators.AnyAsync(cancellationToken);

    /// <summary>
    /// The first admin of a new installation, made by someone who holds an admin API key: no email is sent,
    /// the caller goes straight to the returned invitation link to set a password. Refused (409) once any
    /// operator exists; from then on admins invite the others.
    /// </summary>
    public async Task<CreatedOperator> CreateFirstAdminAsync(string? email, string? name, CancellationToken cancellationToken)
    {
        if (await AnyAsync(cancellationToken))
        {
            throw new StateConflictException("Setup is done.", "This installation has operators already: sign in, and ask an admin to invite you.");
        }
        var (op, url) = await StoreAsync(new CreateOperatorRequest(email, name, OperatorRoles.Admin), cancellationToken);
        return new CreatedOperator(op, url);
    }

    private async Task<(Operator Operator, string InvitationUrl)> StoreAsync(CreateOperatorRequest request, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        if (!EmailAddresses.TryNormalize(request.Email, out var email))
        {
            errors.Add("email", "Give one email address, such as ana@example.com.");
        }
        var name = ValidName(request.Name, errors, required: true);
        var role = ValidRole(request.Role, errors, required: true);
        errors.ThrowIfAny();

        if (await db.Operators.AsNoTracking().Where(o => o.Email == email).Select(o => (Guid?)o.Id).FirstOrDefaultAsync(cancellationToken) is { } existing)
        {
            throw Duplicate(email, existing);
        }
        var now = time.GetUtcNow();
        var op = new Operator
        {
            Id = Ids.New(), Email = email, Name = name!, Role = role!, SecurityStamp = OperatorTokens.NewStamp(), CreatedAt = now, UpdatedAt = now,
        };
        db.Operators.Add(op);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Two admins invited the same address at once: the unique index kept one.
            db.ChangeTracker.Clear();
            var winner = await db.Operators.AsNoTracking().Where(o => o.Email == email).Select(o => (Guid?)o.Id).FirstOrDefaultAsync(cancellationToken);
            throw winner is { } id ? Duplicate(email, id) : throw new InvalidOperationException("The operator could not be stored.");
        }
        return (op, InvitationLink(op));
    }

    /// <summary>A new invitation for an account that has not set its password yet; earlier links stop working.</summary>
    public async Task<CreatedOperator?> ReinviteAsync(Guid id, CancellationToken cancellationToken)
    {
        var op = await db.Operators.FirstOrDefaultAsync(o => o.Id == id, cancellationToken);
        if (op is null)
        {
            return null;
        }
        if (op.PasswordHash is not null)
        {
            throw new StateConflictException("Invitation already accepted.",
                $"{op.Email} has set a password; they can reset it at /forgot-password.", new Dictionary<string, object?> { ["operatorId"] = op.Id });
        }
        await RotateAsync(op, cancellationToken);
        var url = await SendInvitationAsync(op, cancellationToken);
        return new CreatedOperator(op, mail.Sandboxed ? url : null);
    }

    /// <summary>By email.</summary>
    public async Task<List<Operator>> ListAsync(CancellationToken cancellationToken) =>
        await db.Operators.AsNoTracking().OrderBy(o => o.Email).ToListAsync(cancellationToken);

    public Task<Operator?> GetAsync(Guid id, CancellationToken cancellationToken) =>
        db.Operators.AsNoTracking().FirstOrDefaultAsync(o => o.Id == id, cancellationToken);

    public async Task<Operator?> UpdateAsync(Guid id, UpdateOperatorRequest request, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var name = ValidName(request.Name, errors, required: false);
        var role = ValidRole(request.Role, errors, required: false);
        errors.ThrowIfAny();
        var op = await db.Operators.FirstOrDefaultAsync(o => o.Id == id, cancellationToken);
        if (op is null)
        {
            return null;
        }
        if (name is not null)
        {
            op.Name = name;
        }
        if (role is not null && role != op.Role)
        {
            await RefuseLastAdminAsync(op.Id, op.Role, op.Email, "demoted", cancellationToken);
            op.Role = role;
            // Scopes live in the session's claims: a new role needs a new session.
            op.SecurityStamp = OperatorTokens.NewStamp();
        }
        op.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        stamps.Forget(op.Id);
        return op;
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        if (await db.Operators.AsNoTracking().Where(o => o.Id == id).Select(o => new { o.Role, o.Email }).FirstOrDefaultAsync(cancellationToken) is not { } op)
        {
            return false;
        }
        await RefuseLastAdminAsync(id, op.Role, op.Email, "removed", cancellationToken);
        var deleted = await db.Operators.Where(o => o.Id == id).ExecuteDeleteAsync(cancellationToken) > 0;
        stamps.Forget(id);
        return deleted;
    }

    /// <summary>For someone who lost their authenticator: two-factor off, sessions ended; they sign in with the password and enrol again.</summary>
    public async Task<Operator?> ResetTwoFactorAsync(Guid id, CancellationToken cancellationToken)
    {
        var op = await db.Operators.FirstOrDefaultAsync(o => o.Id == id, cancellationToken);
        if (op is null)
        {
            return null;
        }
        op.TwoFactorEnabled = false;
        op.TotpSecret = null;
        op.TotpLastStep = null;
        await RotateAsync(op, cancellationToken);
        return op;
    }

    /// <summary>
    /// Someone must still be able to manage operators and keys from the console: the last admin account is
    /// neither demoted nor removed. (Two admins demoting each other at the same moment can still both pass.)
    /// </summary>
    private async Task RefuseLastAdminAsync(Guid id, string role, string email, string change, CancellationToken cancellationToken)
    {
        if (role == OperatorRoles.Admin && !await db.Operators.AnyAsync(o => o.Id != id && o.Role == OperatorRoles.Admin, cancellationToken))
        {
            throw new StateConflictException("Last admin.",
                $"{email} is the last admin and cannot be {change}: make someone else an admin first.", new Dictionary<string, object?> { ["operatorId"] = id });
        }
    }

    private async Task RotateAsync(Operator op, CancellationToken cancellationToken)
    {
        op.SecurityStamp = OperatorTokens.NewStamp();
        op.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        stamps.Forget(op.Id);
    }

    private string InvitationLink(Operator op) =>
        hub.Value.Link("/invitation?token=" + Uri.EscapeDataString(tokens.Issue(op, OperatorTokenPurpose.Invitation, OperatorRules.InvitationLifetime)));

    private async Task<string> SendInvitationAsync(Operator op, CancellationToken cancellationToken)
    {
        var url = InvitationLink(op);
        await SendInvitationAsync(op, url, cancellationToken);
        return url;
    }

    private async Task SendInvitationAsync(Operator op, string url, CancellationToken cancellationToken) =>
        await mail.SendLinkAsync(op, OperatorTokenPurpose.Invitation, url, time.GetUtcNow() + OperatorRules.InvitationLifetime, cancellationToken);

    private static StateConflictException Duplicate(string email, Guid existing) =>
        new("Operator exists.", $"{email} already has an operator account.", new Dictionary<string, object?> { ["existingId"] = existing });

    private static string? ValidName(string? name, FieldErrors errors, bool required)
    {
        if (name is null && !required)
        {
            return null;
        }
        var trimmed = name?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            errors.Add("name", "Give the person's name.");
        }
        else if (trimmed.Length > OperatorRules.MaxNameLength)
        {
            errors.Add("name", $"Use at most {OperatorRules.MaxNameLength} characters.");
        }
        else if (OperatorText.Problem(trimmed) is { } problem)
        {
            errors.Add("name", "name " + problem);
        }
        return trimmed;
    }

    private static string? ValidRole(string? role, FieldErrors errors, bool required)
    {
        if (role is null && !required)
        {
            return null;
        }
        if (role is null || !OperatorRoles.All.Contains(role))
        {
            errors.Add("role", $"Use one of {string.Join(", ", OperatorRoles.All)}.");
        }
        return role;
    }
}
