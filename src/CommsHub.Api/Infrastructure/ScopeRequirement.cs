using CommsHub.Core.Auth;
using Microsoft.AspNetCore.Authorization;

namespace CommsHub.Api.Infrastructure;

/// <summary>Met when the caller's <see cref="CommsHubClaims.Scope"/> claims grant <see cref="Scope"/> (<c>admin</c> grants all).</summary>
internal sealed class ScopeRequirement(string scope) : AuthorizationHandler<ScopeRequirement>, IAuthorizationRequirement
{
    public string Scope { get; } = scope;

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (Scopes.Grants(context.User.FindAll(CommsHubClaims.Scope).Select(c => c.Value), requirement.Scope))
        {
            context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }
}
