using System.Security.Claims;
using System.Text.Encodings.Web;
using CommsHub.Core.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CommsHub.Api.Infrastructure;

/// <summary><c>Authorization: Bearer &lt;key&gt;</c>, checked against <see cref="ApiKeyStore"/> without a query.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
        if (keys.Find(presented) is not { } key)
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid, or was revoked or expired."));
        }
        keys.Touch(key);
        var principal = new ClaimsPrincipal(Identity(key, Scheme.Name));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name)));
    }

    /// <summary>The claims every CommsHub principal carries (<see cref="CommsHubClaims"/>), for a key.</summary>
    public static ClaimsIdentity Identity(AcceptedKey key, string scheme) => new(
        key.Scopes.Select(s => new Claim(CommsHubClaims.Scope, s))
            .Append(new Claim(CommsHubClaims.Actor, key.Actor))
            .Append(new Claim(CommsHubClaims.SubjectId, key.Subject))
            .Append(new Claim(ClaimTypes.Name, key.Name)),
        scheme, ClaimTypes.Name, ClaimTypes.Role);

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
                    ? "This endpoint needs an API key (Authorization: Bearer <key>) or a signed-in operator."
                    : "The API key is not valid, or was revoked or expired.",
            },
        });
    }
}
