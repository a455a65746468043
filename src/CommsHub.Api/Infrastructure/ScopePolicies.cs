using CommsHub.Core.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace CommsHub.Api.Infrastructure;

/// <summary>
/// One authorization policy per scope, <c>scope:&lt;scope&gt;</c>, accepting an API key or an operator's session.
/// Every admin endpoint names exactly one (a test walks the routes to keep it so); handlers never check scopes.
/// </summary>
internal static class ScopePolicies
{
    public const string Prefix = "scope:";

    public static string Name(string scope) => Prefix + scope;

    public static IServiceCollection AddScopePolicies(this IServiceCollection services)
    {
        var authorization = services.AddAuthorizationBuilder();
        foreach (var scope in Scopes.All)
        {
            authorization.AddPolicy(Name(scope), p => p.AddAuthenticationSchemes(AuthSchemes.Admin).RequireScope(scope));
        }
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ScopeProblems>();
        return services;
    }

    public static AuthorizationPolicyBuilder RequireScope(this AuthorizationPolicyBuilder policy, string scope) =>
        policy.RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(scope));

    /// <summary>This endpoint (or every endpoint of this group) needs <paramref name="scope"/>.</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(Name(scope));

    /// <summary>
    /// Reads (GET, HEAD) in this group need <paramref name="reads"/>, everything else <paramref name="changes"/>,
    /// unless an endpoint names its own scope with <see cref="RequireScope{TBuilder}"/>.
    /// </summary>
    public static RouteGroupBuilder RequireScopes(this RouteGroupBuilder group, string reads, string changes)
    {
        // Finally: runs after the endpoints' own conventions, so it sees a scope an endpoint chose for itself.
        ((IEndpointConventionBuilder)group).Finally(endpoint =>
        {
            if (endpoint.Metadata.OfType<IAuthorizeData>().Any(a => a.Policy?.StartsWith(Prefix, StringComparison.Ordinal) == true))
            {
                return;
            }
            var methods = endpoint.Metadata.OfType<HttpMethodMetadata>().LastOrDefault()?.HttpMethods ?? [];
            var read = methods.Count > 0 && methods.All(m => HttpMethods.IsGet(m) || HttpMethods.IsHead(m));
            endpoint.Metadata.Add(new AuthorizeAttribute(Name(read ? reads : changes)));
        });
        return group;
    }
}
