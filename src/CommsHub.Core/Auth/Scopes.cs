namespace CommsHub.Core.Auth;

/// <summary>What a caller may do. An API key carries scopes; an operator's role gives them.</summary>
public static class Scopes
{
    /// <summary>Every GET of the admin API except subscriber data.</summary>
    public const string Read = "read";

    /// <summary>Components, incidents, updates, maintenances, templates, previews.</summary>
    public const string Publish = "publish";

    /// <summary>Subscribers, audiences, import, deliveries with recipients, export.</summary>
    public const string Subscribers = "subscribers";

    /// <summary>Audiences, code pools, campaigns.</summary>
    public const string Campaigns = "campaigns";

    /// <summary>Keys, operators, audit; implies all the others.</summary>
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Read, Publish, Subscribers, Campaigns, Admin];

    /// <summary>Whether a caller holding <paramref name="held"/> may use an endpoint that needs <paramref name="needed"/>.</summary>
    public static bool Grants(IEnumerable<string> held, string needed) => held.Any(s => s == needed || s == Admin);
}

/// <summary>Operator roles and the scopes each gives.</summary>
public static class OperatorRoles
{
    public const string Viewer = "viewer";
    public const string Responder = "responder";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Viewer, Responder, Admin];

    public static IReadOnlyList<string> ScopesOf(string role) => role switch
    {
        Viewer => [Scopes.Read],
        Responder => [Scopes.Read, Scopes.Publish],
        Admin => [Scopes.Admin],
        _ => [],
    };
}

/// <summary>
/// The claims every authenticated CommsHub principal carries, whichever way it signed in (API key,
/// operator cookie, OpenID Connect): one <see cref="Scope"/> claim per scope, and the <see cref="Actor"/>
/// the audit log names it by.
/// </summary>
public static class CommsHubClaims
{
    public const string Scope = "commshub:scope";

    /// <summary><c>key:&lt;name&gt;</c> or <c>operator:&lt;email&gt;</c>.</summary>
    public const string Actor = "commshub:actor";

    /// <summary>The API key's or operator's id, to re-check revocation of long-lived sessions.</summary>
    public const string SubjectId = "commshub:subject";

    /// <summary>The operator's security stamp when the session was issued.</summary>
    public const string SecurityStamp = "commshub:stamp";

    public static string KeyActor(string name) => "key:" + name;

    public static string OperatorActor(string email) => "operator:" + email;
}
