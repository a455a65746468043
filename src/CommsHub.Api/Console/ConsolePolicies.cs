using CommsHub.Api.Infrastructure;
using CommsHub.Core.Auth;
using Microsoft.AspNetCore.Authorization;

namespace CommsHub.Api.OperatorConsole;

/// <summary>
/// The console's authorization: one policy per scope, <c>console:&lt;scope&gt;</c>, that accepts only an
/// operator's session (an API key never opens a page) and sends a visitor without one to <c>/login</c>.
/// Every console page names one with <c>[Authorize(Policy = …)]</c>; every form handler that changes
/// something checks its own scope again with <see cref="ConsoleAccess"/>, because a page that shows a
/// form to a viewer is no permission to post it.
/// </summary>
internal static class ConsolePolicies
{
    public const string Prefix = "console:";
    public const string Read = Prefix + Scopes.Read;
    public const string Publish = Prefix + Scopes.Publish;
    public const string Subscribers = Prefix + Scopes.Subscribers;
    public const string Campaigns = Prefix + Scopes.Campaigns;
    public const string Admin = Prefix + Scopes.Admin;

    public static IServiceCollection AddConsolePolicies(this IServiceCollection services)
    {
        var authorization = services.AddAuthorizationBuilder();
        foreach (var scope in Scopes.All)
        {
            authorization.AddPolicy(Prefix + scope, p => p.AddAuthenticationSchemes(AuthSchemes.OperatorCookie).RequireScope(scope));
        }
        return services;
    }
}
