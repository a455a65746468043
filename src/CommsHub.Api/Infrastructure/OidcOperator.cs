using System.Security.Claims;
using System.Text.Json;
using CommsHub.Core.Auth;

namespace CommsHub.Api.Infrastructure;

/// <summary>
/// Turns the person a provider vouched for into a CommsHub operator: their role comes from the
/// configured claim only, so someone the provider knows but nobody gave a role gets no session.
/// </summary>
internal static class OidcOperator
{
    /// <summary>The subject prefix that marks a session as signed in through OpenID Connect.</summary>
    public const string SubjectPrefix = "oidc:";

    // Least to most powerful: a person holding several roles gets the strongest.
    private static readonly string[] ByPower = [OperatorRoles.Viewer, OperatorRoles.Responder, OperatorRoles.Admin];

    /// <summary>
    /// The most powerful role named by <paramref name="roleClaim"/>, or null. Providers send a
    /// multi-valued claim either as several claims or as one JSON array; values are matched
    /// without regard to case (Entra app role values are often written <c>Admin</c>); others are ignored.
    /// </summary>
    public static string? RoleOf(ClaimsPrincipal external, string roleClaim)
    {
        var best = -1;
        foreach (var value in external.FindAll(roleClaim).SelectMany(c => Values(c.Value)))
        {
            best = Math.Max(best, IndexOf(value.Trim()));
        }
        return best < 0 ? null : ByPower[best];
    }

    /// <summary>The operator principal for the cookie session, or null when no role is given.</summary>
    public static ClaimsPrincipal? ToOperator(ClaimsPrincipal external, string roleClaim)
    {
        var role = RoleOf(external, roleClaim);
        var subject = external.FindFirst("sub")?.Value;
        if (role is null || string.IsNullOrEmpty(subject))
        {
            return null;
        }
        var name = external.FindFirst("name")?.Value;
        // The audit log names people by email; providers that leave it out of the ID token (Entra
        // without the optional claim) still send preferred_username, and every one sends sub.
        var email = First(external, "email", "preferred_username") ?? subject;
        var identity = new ClaimsIdentity(AuthSchemes.Oidc, "name", null);
        identity.AddClaims(OperatorRoles.ScopesOf(role).Select(s => new Claim(CommsHubClaims.Scope, s)));
        identity.AddClaim(new Claim(CommsHubClaims.Actor, CommsHubClaims.OperatorActor(email.ToLowerInvariant())));
        identity.AddClaim(new Claim(CommsHubClaims.SubjectId, SubjectPrefix + subject));
        identity.AddClaim(new Claim("name", string.IsNullOrWhiteSpace(name) ? email : name));
        identity.AddClaim(new Claim("email", email.ToLowerInvariant()));
        return new ClaimsPrincipal(identity);
    }

    public static bool IsOidcSession(ClaimsPrincipal? user) =>
        user?.FindFirst(CommsHubClaims.SubjectId)?.Value.StartsWith(SubjectPrefix, StringComparison.Ordinal) == true;

    private static string? First(ClaimsPrincipal principal, params string[] types) =>
        types.Select(t => principal.FindFirst(t)?.Value).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    private static int IndexOf(string role)
    {
        for (var i = 0; i < ByPower.Length; i++)
        {
            if (string.Equals(ByPower[i], role, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }
        return -1;
    }

    private static List<string> Values(string value)
    {
        if (!value.TrimStart().StartsWith('['))
        {
            return [value];
        }
        try
        {
            using var array = JsonDocument.Parse(value);
            return array.RootElement.ValueKind == JsonValueKind.Array
                ? array.RootElement.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
                : [];
        }
        catch (JsonException)
        {
            return [value];
        }
    }
}
