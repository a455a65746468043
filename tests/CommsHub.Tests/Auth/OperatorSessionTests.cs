using System.Net;
using System.Net.Http.Json;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Auth;

/// <summary>Sessions end when the operator changes: on real time, as another process would see it.</summary>
public sealed class OperatorSessionTests : SqliteAppTest
{
    [Fact]
    public async Task A_demoted_operator_s_session_ends_at_once()
    {
        var (id, browser) = await App.SignedInOperatorAsync(Admin, "ana@example.com", "admin");
        using var _ = browser;
        await browser.PageAsync("/console");
        await Admin.InviteAsync("bo@example.com", "admin"); // the last admin could not be demoted
        using (var demoted = await Admin.PatchAsJsonAsync($"/api/operators/{id}", new { role = "viewer" }))
        {
            Assert.Equal(HttpStatusCode.OK, demoted.StatusCode);
        }
        await browser.PageAsync("/console", HttpStatusCode.Redirect);
        // Signing in again gives the new role.
        Assert.Equal("/console", await browser.SignInAsync("ana@example.com", OperatorAccounts.Password));
        Assert.Equal("viewer", ConsoleClient.ElementText(await browser.PageAsync("/console"), "role"));
    }

    [Fact]
    public async Task A_deleted_operator_s_session_ends_at_once()
    {
        var (id, browser) = await App.SignedInOperatorAsync(Admin, "ana@example.com");
        using var _ = browser;
        Assert.Equal(HttpStatusCode.NoContent, (await Admin.DeleteAsync($"/api/operators/{id}")).StatusCode);
        await browser.PageAsync("/console", HttpStatusCode.Redirect);
    }

    [Fact]
    public async Task A_change_made_by_another_process_ends_the_session_within_seconds()
    {
        var (_, browser) = await App.SignedInOperatorAsync(Admin, "ana@example.com");
        using var _ = browser;
        await browser.PageAsync("/console");
        // Straight to the database, as another API process would: this process learns it from its cache expiring.
        await WithDbAsync(db => db.Operators.ExecuteUpdateAsync(s => s.SetProperty(o => o.SecurityStamp, "changed elsewhere")));
        var started = DateTime.UtcNow;
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await browser.Http.GetAsync("/console");
            return response.StatusCode == HttpStatusCode.Redirect;
        }, "the session is refused", TimeSpan.FromSeconds(15));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(12), "refused within a few seconds");
    }

    [Fact]
    public async Task An_admin_resets_a_lost_authenticator_and_the_operator_s_sessions_end()
    {
        var (id, browser) = await App.SignedInOperatorAsync(Admin, "ana@example.com");
        using var _ = browser;
        await WithDbAsync(db => db.Operators.ExecuteUpdateAsync(s => s.SetProperty(o => o.TwoFactorEnabled, true).SetProperty(o => o.TotpSecret, "x")));
        Assert.True((await Admin.OperatorAsync(id))["twoFactorEnabled"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.NoContent, (await Admin.DeleteAsync($"/api/operators/{id}/two-factor")).StatusCode);
        var op = await WithDbAsync(db => db.Operators.SingleAsync());
        Assert.False(op.TwoFactorEnabled);
        Assert.Null(op.TotpSecret);
        await browser.PageAsync("/console", HttpStatusCode.Redirect);
        // The password alone signs in now.
        Assert.Equal("/console", await browser.SignInAsync("ana@example.com", OperatorAccounts.Password));
    }

    [Fact]
    public async Task A_viewer_session_reads_incidents_but_publishing_is_403_naming_the_scope()
    {
        var (_, browser) = await App.SignedInOperatorAsync(Admin, "viewer@example.com", "viewer");
        using var _ = browser;
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/api/incidents")).StatusCode);
        using var response = await browser.Http.PostAsJsonAsync("/api/incidents", new { title = "Outage", message = "Down." });
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("'publish' scope; operator:viewer@example.com has read", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await WithDbAsync(db => db.Incidents.CountAsync()));
    }

    [Fact]
    public async Task A_responder_publishes_as_themselves_but_cannot_manage_operators()
    {
        var (_, browser) = await App.SignedInOperatorAsync(Admin, "responder@example.com", "responder");
        using var _ = browser;
        await browser.Http.PostAsync("/api/incidents", new { title = "Outage", message = "Down." });
        Assert.Contains(await WithDbAsync(db => db.AuditEntries.Where(e => e.Action == "admin.post").Select(e => e.Actor).ToListAsync()),
            a => a == "operator:responder@example.com");
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.Http.GetAsync("/api/operators")).StatusCode);
        using var invite = await browser.Http.PostAsJsonAsync("/api/operators", new { email = "x@example.com", name = "X", role = "admin" });
        Assert.Equal(HttpStatusCode.Forbidden, invite.StatusCode);
    }

    [Fact]
    public async Task An_admin_session_manages_operators_and_the_api_never_redirects_to_sign_in()
    {
        var (_, browser) = await App.SignedInOperatorAsync(Admin, "boss@example.com", "admin");
        using var _ = browser;
        await browser.Http.PostAsync("/api/operators", new { email = "new@example.com", name = "New", role = "viewer" });
        using var anonymous = new ConsoleClient(App);
        using var response = await anonymous.Http.GetAsync("/api/operators");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
