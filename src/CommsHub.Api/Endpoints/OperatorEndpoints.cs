using System.Text.Json.Serialization;
using CommsHub.Core.Auth;
using CommsHub.Core.Auth.Operators;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommsHub.Api.Endpoints;

/// <summary>An operator as admins see it: never a password hash, a TOTP secret or a link.</summary>
public sealed record OperatorResponse(Guid Id, string Email, string Name, string Role, bool TwoFactorEnabled, bool InvitationPending,
    bool LockedOut, DateTimeOffset? LockoutEnd, DateTimeOffset? LastSignInAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static OperatorResponse From(Operator o, DateTimeOffset now) => new(o.Id, o.Email, o.Name, o.Role, o.TwoFactorEnabled,
        o.PasswordHash is null, o.LockoutEnd > now, o.LockoutEnd > now ? o.LockoutEnd : null, o.LastSignInAt, o.CreatedAt, o.UpdatedAt);
}

/// <summary>A new (or re-invited) operator; <c>invitationUrl</c> only while email is sandboxed, when no email can carry it.</summary>
public sealed record InvitedOperatorResponse(Guid Id, string Email, string Name, string Role, bool TwoFactorEnabled, bool InvitationPending,
    DateTimeOffset CreatedAt, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? InvitationUrl)
{
    public static InvitedOperatorResponse From(CreatedOperator c) => new(c.Operator.Id, c.Operator.Email, c.Operator.Name, c.Operator.Role,
        c.Operator.TwoFactorEnabled, c.Operator.PasswordHash is null, c.Operator.CreatedAt, c.InvitationUrl);
}

/// <summary>Operator accounts (admin only): invite, list, change role or name, remove, reset two-factor.</summary>
public static class OperatorEndpoints
{
    public static RouteGroupBuilder MapOperatorEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/operators").WithTags("Operators");
        group.MapPost("/", Create);
        group.MapGet("/", List);
        group.MapGet("/{id:guid}", Get);
        group.MapPatch("/{id:guid}", Update);
        group.MapDelete("/{id:guid}", Delete);
        group.MapPost("/{id:guid}/invitation", Reinvite);
        group.MapDelete("/{id:guid}/two-factor", ResetTwoFactor);
        return group;
    }

    private static async Task<Created<InvitedOperatorResponse>> Create(CreateOperatorRequest request, OperatorService operators, CancellationToken ct)
    {
        var created = await operators.CreateAsync(request, ct);
        return TypedResults.Created($"/api/operators/{created.Operator.Id}", InvitedOperatorResponse.From(created));
    }

    /// <summary>By email.</summary>
    private static async Task<Ok<List<OperatorResponse>>> List(OperatorService operators, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        return TypedResults.Ok((await operators.ListAsync(ct)).Select(o => OperatorResponse.From(o, now)).ToList());
    }

    private static async Task<Results<Ok<OperatorResponse>, NotFound>> Get(Guid id, OperatorService operators, TimeProvider time, CancellationToken ct) =>
        await operators.GetAsync(id, ct) is { } op ? TypedResults.Ok(OperatorResponse.From(op, time.GetUtcNow())) : TypedResults.NotFound();

    /// <summary>A new role ends the operator's sessions: the next sign-in carries the new role's scopes.</summary>
    private static async Task<Results<Ok<OperatorResponse>, NotFound>> Update(Guid id, UpdateOperatorRequest request, OperatorService operators,
        TimeProvider time, CancellationToken ct) =>
        await operators.UpdateAsync(id, request, ct) is { } op ? TypedResults.Ok(OperatorResponse.From(op, time.GetUtcNow())) : TypedResults.NotFound();

    private static async Task<Results<NoContent, NotFound>> Delete(Guid id, OperatorService operators, CancellationToken ct) =>
        await operators.DeleteAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    /// <summary>Sends a new invitation to someone who has not set a password yet; 409 once they have.</summary>
    private static async Task<Results<Ok<InvitedOperatorResponse>, NotFound>> Reinvite(Guid id, OperatorService operators, CancellationToken ct) =>
        await operators.ReinviteAsync(id, ct) is { } invited ? TypedResults.Ok(InvitedOperatorResponse.From(invited)) : TypedResults.NotFound();

    /// <summary>Recovery for a lost authenticator: two-factor off and sessions ended.</summary>
    private static async Task<Results<NoContent, NotFound>> ResetTwoFactor(Guid id, OperatorService operators, CancellationToken ct) =>
        await operators.ResetTwoFactorAsync(id, ct) is not null ? TypedResults.NoContent() : TypedResults.NotFound();
}
