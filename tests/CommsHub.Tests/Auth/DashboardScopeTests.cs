using System.Net;
using CommsHub.Tests.Api;

namespace CommsHub.Tests.Auth;

/// <summary>The schedule dashboard is for the admin scope: a key with less is refused there too.</summary>
public sealed class DashboardScopeTests : SqliteAppTest
{
    [Fact]
    public async Task An_admin_key_opens_the_dashboard_and_a_read_key_gets_a_403_naming_admin()
    {
        using var page = await Admin.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        using var reader = App.WithKey(await Admin.CreateKeyAsync("status-board", ["read"]));
        using var refused = await reader.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("'admin'", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_login_form_takes_only_a_key_with_the_admin_scope()
    {
        var read = (await Admin.CreateKeyAsync("status-board", ["read"]))["key"]!.GetValue<string>();
        var admin = (await Admin.CreateKeyAsync("ops", ["admin"]))["key"]!.GetValue<string>();
        using var browser = App.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using var refused = await browser.PostAsync("/hangfire/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = read }));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using var accepted = await browser.PostAsync("/hangfire/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = admin }));
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
        Assert.Contains(accepted.Headers.GetValues("Set-Cookie"), c => c.StartsWith("commshub_dashboard=", StringComparison.Ordinal));
    }
}
