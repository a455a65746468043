using System.Net;

namespace CommsHub.Tests.Api;

/// <summary>Without Auth:Oidc:Authority only local accounts sign in: the OpenID Connect paths do not exist.</summary>
public sealed class OidcNotConfiguredTests : SqliteAppTest
{
    [Theory]
    [InlineData("/login/oidc")]
    [InlineData("/login/oidc?returnUrl=/console")]
    [InlineData("/signin-oidc?code=x&state=y")]
    public async Task The_sign_in_paths_are_not_found(string path)
    {
        using var client = App.CreateClient(new() { AllowAutoRedirect = false });

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Signing_out_still_answers_with_the_sign_in_page()
    {
        using var client = App.CreateClient(new() { AllowAutoRedirect = false });

        using var response = await client.PostAsync("/logout/oidc", null);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login?notice=signed-out", response.Headers.Location!.OriginalString);
    }
}
