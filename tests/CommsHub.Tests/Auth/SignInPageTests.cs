using CommsHub.Tests.Api;

namespace CommsHub.Tests.Auth;

/// <summary>The sign-in page beside single sign-on: the link to it, and what it says when single sign-on sends someone back.</summary>
public sealed class SignInPageTests : SqliteAppTest
{
    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Auth:Oidc:Authority"] = "https://id.example.test/realms/acme",
        ["Auth:Oidc:ClientId"] = "commshub",
    };

    [Fact]
    public async Task With_single_sign_on_configured_the_page_offers_it_keeping_a_local_return_address()
    {
        using var browser = new ConsoleClient(App);
        var page = await browser.PageAsync("/login?returnUrl=%2Fconsole%2Fincidents");
        Assert.Contains("href=\"/login/oidc?returnUrl=%2Fconsole%2Fincidents\"", page);
        Assert.Contains("Sign in with single sign-on", page);
        Assert.Contains("href=\"/login/oidc?returnUrl=%2Fconsole\"", await browser.PageAsync("/login?returnUrl=https%3A%2F%2Fevil.example"));
    }

    [Fact]
    public async Task A_person_single_sign_on_gave_no_role_is_told_why()
    {
        using var browser = new ConsoleClient(App);
        Assert.Contains("your account has no CommsHub role", await browser.PageAsync("/login?error=no-role"));
        Assert.Contains("Single sign-on did not complete", await browser.PageAsync("/login?error=oidc"));
    }
}
