namespace CommsHub.Api.Infrastructure;

/// <summary>
/// The authentication schemes of the admin surface. Scripts present an API key; people sign in
/// (local account or OpenID Connect) and carry the operator cookie. Both give a principal with the
/// claims of <see cref="Core.Auth.CommsHubClaims"/>.
/// </summary>
internal static class AuthSchemes
{
    public const string ApiKey = "ApiKey";

    /// <summary>The session of a signed-in operator, however they signed in.</summary>
    public const string OperatorCookie = "Operator";

    /// <summary>OpenID Connect sign-in, when <c>Auth:Oidc:Authority</c> is set; it ends in <see cref="OperatorCookie"/>.</summary>
    public const string Oidc = "oidc";

    /// <summary>The schemes every admin endpoint accepts.</summary>
    public static readonly string[] Admin = [ApiKey, OperatorCookie];
}
