using CommsHub.Core.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Mvc;

namespace CommsHub.Api.Infrastructure;

/// <summary>
/// What a caller refused by a scope policy is told. Authenticated without the scope: 403 problem details
/// naming the scope (<c>scope</c> member). Not authenticated: one challenge, not one per scheme (the key
/// scheme writes a 401 problem, the operator cookie redirects to <c>/login</c>, and a response can only do one):
/// the key's for API paths and for requests that carry a key, the cookie's for pages people open.
/// </summary>
internal sealed class ScopeProblems(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        var needed = authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<ScopeRequirement>().FirstOrDefault()
                     ?? policy.Requirements.OfType<ScopeRequirement>().FirstOrDefault();
        if (needed is null || authorizeResult.Succeeded)
        {
            await _default.HandleAsync(next, context, policy, authorizeResult);
            return;
        }
        if (authorizeResult.Challenged)
        {
            if (!policy.AuthenticationSchemes.Contains(AuthSchemes.ApiKey) || !policy.AuthenticationSchemes.Contains(AuthSchemes.OperatorCookie))
            {
                await _default.HandleAsync(next, context, policy, authorizeResult);
                return;
            }
            var api = context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
                      || !string.IsNullOrEmpty(context.Request.Headers.Authorization);
            await context.ChallengeAsync(api ? AuthSchemes.ApiKey : AuthSchemes.OperatorCookie);
            return;
        }
        // A console page is for people: the operator cookie's forbid renders the 403 page there (OperatorSessions).
        if (authorizeResult.Forbidden && !context.Request.Path.StartsWithSegments("/console", StringComparison.OrdinalIgnoreCase))
        {
            var held = context.User.FindAll(CommsHubClaims.Scope).Select(c => c.Value).Distinct().ToList();
            var who = context.User.FindFirst(CommsHubClaims.Actor)?.Value ?? "the caller";
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = new ProblemDetails
                {
                    Status = StatusCodes.Status403Forbidden,
                    Title = "Forbidden",
                    Detail = $"This call needs the '{needed.Scope}' scope; {who} has "
                             + (held.Count == 0 ? "none" : string.Join(", ", held)) + ".",
                    Extensions = { ["scope"] = needed.Scope },
                },
            });
            return;
        }
        await _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
