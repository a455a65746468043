using System.ComponentModel.DataAnnotations;

namespace CommsHub.Api.Infrastructure;

/// <summary>
/// Operator sign-in through the organisation's OpenID Connect provider (Entra ID, Okta, Keycloak,
/// Authentik…). Without an <see cref="Authority"/> only local operator accounts sign in.
/// </summary>
internal sealed class OidcOptions : IValidatableObject
{
    public const string Section = "Auth:Oidc";

    /// <summary>The issuer, e.g. <c>https://login.microsoftonline.com/&lt;tenant&gt;/v2.0</c>; its discovery document is read from there.</summary>
    public string Authority { get; set; } = "";

    public string ClientId { get; set; } = "";

    /// <summary>Empty for a public client (PKCE alone protects the code).</summary>
    public string ClientSecret { get; set; } = "";

    /// <summary>The ID token claim whose values <c>viewer</c>, <c>responder</c>, <c>admin</c> give the operator's role.</summary>
    public string RoleClaim { get; set; } = "roles";

    /// <summary>Refuse an authority that is not https; off only for tests and closed networks.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enabled)
        {
            yield break;
        }
        if (!Uri.TryCreate(Authority, UriKind.Absolute, out var authority) || (authority.Scheme != Uri.UriSchemeHttps && authority.Scheme != Uri.UriSchemeHttp))
        {
            yield return new ValidationResult(
                $"Auth:Oidc:Authority '{Authority}' is not an absolute URL (e.g. https://login.example.com/realms/acme).", [nameof(Authority)]);
        }
        else if (RequireHttpsMetadata && authority.Scheme != Uri.UriSchemeHttps)
        {
            yield return new ValidationResult(
                $"Auth:Oidc:Authority '{Authority}' must be https; set Auth:Oidc:RequireHttpsMetadata=false only for tests and closed networks.",
                [nameof(Authority)]);
        }
        if (string.IsNullOrWhiteSpace(ClientId))
        {
            yield return new ValidationResult(
                "Auth:Oidc:ClientId is required when Auth:Oidc:Authority is set: the client (application) id registered with the provider.",
                [nameof(ClientId)]);
        }
        if (string.IsNullOrWhiteSpace(RoleClaim))
        {
            yield return new ValidationResult(
                "Auth:Oidc:RoleClaim must name the claim that carries viewer, responder or admin (e.g. roles or groups).", [nameof(RoleClaim)]);
        }
    }
}
