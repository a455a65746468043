using System.Security.Claims;
using CommsHub.Api.Infrastructure;
using CommsHub.Core.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CommsHub.Tests.Api;

public sealed class OidcOperatorTests
{
    [Theory]
    [InlineData(new[] { "viewer" }, "viewer")]
    [InlineData(new[] { "viewer", "admin", "responder" }, "admin")]
    [InlineData(new[] { "responder", "viewer" }, "responder")]
    [InlineData(new[] { "Admin" }, "admin")]
    [InlineData(new[] { "billing", " viewer " }, "viewer")]
    [InlineData(new[] { """["viewer","responder"]""" }, "responder")]
    [InlineData(new[] { """["billing"]""", "viewer" }, "viewer")]
    [InlineData(new[] { "billing", "[not json" }, null)]
    [InlineData(new string[0], null)]
    public void The_strongest_role_named_by_the_claim_wins_whether_sent_as_claims_or_a_JSON_array(string[] values, string? role)
    {
        var person = Person(values.Select(v => new Claim("roles", v)).ToArray());

        Assert.Equal(role, OidcOperator.RoleOf(person, "roles"));
    }

    [Fact]
    public void Only_the_configured_claim_gives_a_role()
    {
        var person = Person(new Claim("groups", "admin"), new Claim("roles", "viewer"));

        Assert.Equal("admin", OidcOperator.RoleOf(person, "groups"));
        Assert.Equal("viewer", OidcOperator.RoleOf(person, "roles"));
        Assert.Null(OidcOperator.RoleOf(person, "cognito:groups"));
    }

    [Fact]
    public void A_responder_gets_read_and_publish_and_is_named_by_email()
    {
        var op = OidcOperator.ToOperator(Person(
            new Claim("sub", "abc-123"), new Claim("email", "Rob@Example.TEST"), new Claim("name", "Rob"), new Claim("roles", "responder")), "roles")!;

        Assert.Equal([Scopes.Read, Scopes.Publish], op.FindAll(CommsHubClaims.Scope).Select(c => c.Value));
        Assert.Equal("operator:rob@example.test", op.FindFirst(CommsHubClaims.Actor)!.Value);
        Assert.Equal("oidc:abc-123", op.FindFirst(CommsHubClaims.SubjectId)!.Value);
        Assert.Equal("Rob", op.Identity!.Name);
        Assert.True(op.Identity.IsAuthenticated);
        Assert.True(OidcOperator.IsOidcSession(op));
        // Nothing of the provider's token leaks into the session but what CommsHub uses.
        Assert.DoesNotContain(op.Claims, c => c.Type == "roles");
    }

    [Theory]
    [InlineData("alice@corp.example", "operator:alice@corp.example")]
    [InlineData(null, "operator:alice.upn@corp.example")]
    public void Without_an_email_claim_the_actor_falls_back_to_preferred_username(string? email, string actor)
    {
        var claims = new List<Claim> { new("sub", "s-1"), new("preferred_username", "Alice.UPN@corp.example"), new("roles", "viewer") };
        if (email is not null)
        {
            claims.Add(new Claim("email", email));
        }

        Assert.Equal(actor, OidcOperator.ToOperator(Person([.. claims]), "roles")!.FindFirst(CommsHubClaims.Actor)!.Value);
    }

    [Fact]
    public void Without_email_or_username_the_actor_is_the_subject()
    {
        var op = OidcOperator.ToOperator(Person(new Claim("sub", "00u1abcd"), new Claim("roles", "viewer")), "roles")!;

        Assert.Equal("operator:00u1abcd", op.FindFirst(CommsHubClaims.Actor)!.Value);
    }

    [Fact]
    public void A_person_without_a_role_gets_no_operator()
    {
        Assert.Null(OidcOperator.ToOperator(Person(new Claim("sub", "n-1"), new Claim("email", "nora@example.test")), "roles"));
        Assert.Null(OidcOperator.ToOperator(Person(new Claim("sub", "n-1"), new Claim("roles", "billing")), "roles"));
    }

    [Fact]
    public void A_local_session_is_not_an_oidc_session()
    {
        var local = new ClaimsPrincipal(new ClaimsIdentity([new Claim(CommsHubClaims.SubjectId, Guid.NewGuid().ToString())], "Operator"));

        Assert.False(OidcOperator.IsOidcSession(local));
        Assert.False(OidcOperator.IsOidcSession(null));
    }

    [Theory]
    [InlineData("/console/incidents?x=1", "/console/incidents?x=1")]
    [InlineData("/", "/")]
    [InlineData(null, "/console")]
    [InlineData("", "/console")]
    [InlineData("https://evil.example/", "/console")]
    [InlineData("//evil.example/", "/console")]
    [InlineData("/\\evil.example/", "/console")]
    [InlineData("console", "/console")]
    [InlineData("/x\r\nLocation: https://evil.example/", "/console")]
    public void Sign_in_returns_only_to_a_path_on_this_site(string? returnUrl, string expected)
    {
        Assert.Equal(expected, OperatorOidcEndpoints.LocalUrl(returnUrl));
    }

    [Fact]
    public void The_sign_in_page_has_a_message_for_each_error_it_is_sent_back_with()
    {
        Assert.Contains("no CommsHub role", OperatorOidc.ErrorMessage("no-role"));
        Assert.Contains("did not complete", OperatorOidc.ErrorMessage("oidc"));
        Assert.Null(OperatorOidc.ErrorMessage("<script>"));
        Assert.Equal("/login?error=no-role", OperatorOidc.NoRolePath);
        Assert.Equal("/login?error=oidc", OperatorOidc.FailedPath);
    }

    [Theory]
    [InlineData("Auth:Oidc:Authority", "not a url", "Auth:Oidc:Authority 'not a url' is not an absolute URL")]
    [InlineData("Auth:Oidc:Authority", "http://idp.example/", "Auth:Oidc:Authority 'http://idp.example/' must be https")]
    [InlineData("Auth:Oidc:ClientId", "", "Auth:Oidc:ClientId is required when Auth:Oidc:Authority is set")]
    [InlineData("Auth:Oidc:RoleClaim", "", "Auth:Oidc:RoleClaim must name the claim")]
    public void A_bad_setting_stops_the_start_with_a_message_that_says_what_to_do(string key, string value, string message)
    {
        using var provider = Build(new()
        {
            ["Auth:Oidc:Authority"] = "https://idp.example/realms/acme",
            ["Auth:Oidc:ClientId"] = "commshub",
            [key] = value,
        });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(message, Assert.Single(ex.Failures));
    }

    [Fact]
    public async Task Http_is_accepted_only_with_RequireHttpsMetadata_off()
    {
        using var provider = Build(new()
        {
            ["Auth:Oidc:Authority"] = "http://127.0.0.1:5001/",
            ["Auth:Oidc:ClientId"] = "commshub",
            ["Auth:Oidc:RequireHttpsMetadata"] = "false",
        });

        provider.GetRequiredService<IStartupValidator>().Validate();
        Assert.NotNull(await provider.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(AuthSchemes.Oidc));
    }

    [Fact]
    public async Task Without_an_authority_there_is_no_oidc_scheme_and_nothing_to_validate()
    {
        using var provider = Build(new() { ["Auth:Oidc:ClientId"] = "left-over" });

        provider.GetRequiredService<IStartupValidator>().Validate();
        Assert.Null(await provider.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(AuthSchemes.Oidc));
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddAuthentication().AddOperatorOidc(configuration);
        return services.BuildServiceProvider();
    }

    private static ClaimsPrincipal Person(params Claim[] claims) => new(new ClaimsIdentity(claims, "oidc-token"));
}
