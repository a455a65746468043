using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Auth;

/// <summary><c>Authorization: Bearer &lt;key&gt;</c> against <see cref="ApiKeyStore"/>.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string AdminPolicy = "admin";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        var key = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
        if (key is null || !keys.IsValid(key))
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }
        var identity = Identity(key, SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    public const string KeyClaim = "commshub:key";

    /// <summary>An admin, named in the audit log by the fingerprint of the key it presented.</summary>
    public static ClaimsIdentity Identity(string key, string scheme) => new(
        [new Claim(ClaimTypes.Name, "admin"), new Claim(ClaimTypes.Role, "admin"), new Claim(KeyClaim, ApiKeyStore.Fingerprint(key)),
            new Claim(CommsHubClaims.Scope, Scopes.Admin)], scheme);

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        var problems = Context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = string.IsNullOrEmpty(Request.Headers.Authorization)
                    ? "This endpoint needs an admin API key: Authorization: Bearer <key>."
                    : "The API key is not valid.",
            },
        });
    }
}
