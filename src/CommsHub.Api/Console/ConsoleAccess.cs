using System.Security.Claims;
using CommsHub.Core.Auth;

namespace CommsHub.Api.OperatorConsole;

/// <summary>What the signed-in operator may do, for showing controls and for checking each posted form on the server.</summary>
internal static class ConsoleAccess
{
    /// <summary>Whether the session's scopes grant <paramref name="scope"/> (<c>admin</c> grants all).</summary>
    public static bool Grants(ClaimsPrincipal user, string scope) =>
        user.Identity?.IsAuthenticated == true && Scopes.Grants(user.FindAll(CommsHubClaims.Scope).Select(c => c.Value), scope);

    /// <summary>
    /// For a form handler: true if the operator holds <paramref name="scope"/>; otherwise the response becomes
    /// 403 and the handler must change nothing (the page then renders <see cref="Shared.Forbidden"/>).
    /// </summary>
    public static bool Demand(HttpContext http, string scope)
    {
        if (Grants(http.User, scope))
        {
            return true;
        }
        http.Response.StatusCode = StatusCodes.Status403Forbidden;
        return false;
    }

    /// <summary>The audit actor of the session (<c>operator:&lt;email&gt;</c>).</summary>
    public static string Actor(ClaimsPrincipal user) => user.FindFirst(CommsHubClaims.Actor)?.Value ?? "operator:unknown";
}
