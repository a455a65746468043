using System.Net;
using CommsHub.Core.Auth;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using CommsHub.Tests.Auth;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Console;

/// <summary>The components, maintenances, keys and operators pages check every posted form on the server, whatever the page showed.</summary>
public sealed class ConsoleAdminFormTests : SqliteAppTest
{
    private static Dictionary<string, string> Fields(params (string Name, string Value)[] fields) => fields.ToDictionary(f => f.Name, f => f.Value);

    [Fact]
    public async Task A_viewer_sees_no_component_controls_and_a_forged_post_gets_403_changing_nothing()
    {
        var id = await Admin.CreateComponentAsync("API");
        var (_, viewer) = await App.SignedInOperatorAsync(Admin, "vera@example.com", "viewer");
        using var _ = viewer;
        var html = await viewer.PageAsync("/console/components");
        Assert.Contains("API", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Add component", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Input.Status", html, StringComparison.Ordinal);

        using (var created = await viewer.SubmitAsync("/console/components", "create", Fields(("Input.Name", "Forged")), html))
        {
            Assert.Equal(HttpStatusCode.Forbidden, created.StatusCode);
            Assert.Contains("Not allowed", await created.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var status = await viewer.SubmitAsync("/console/components", $"status-{Guid.Parse(id):N}", Fields(("Input.Status", "major_outage")), html))
        {
            Assert.Equal(HttpStatusCode.Forbidden, status.StatusCode);
        }
        using (var deleted = await viewer.SubmitAsync("/console/components", $"delete-{Guid.Parse(id):N}", Fields(), html))
        {
            Assert.Equal(HttpStatusCode.Forbidden, deleted.StatusCode);
        }
        var list = (await Admin.GetJsonAsync("/api/components")).AsArray();
        Assert.Equal("operational", Assert.Single(list)!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_viewer_s_forged_maintenance_post_gets_403_and_schedules_nothing()
    {
        var component = await Admin.CreateComponentAsync("API");
        var (_, viewer) = await App.SignedInOperatorAsync(Admin, "vera@example.com", "viewer");
        using var _ = viewer;
        var html = await viewer.PageAsync("/console/maintenances");
        Assert.DoesNotContain("Schedule maintenance", html, StringComparison.Ordinal);
        using var response = await viewer.SubmitAsync("/console/maintenances", "create", Fields(("Input.Title", "Forged"), ("Input.Message", "x"),
            ("component", component), ("Input.From", "2099-01-01T10:00"), ("Input.Until", "2099-01-01T11:00")), html);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty((await Admin.GetJsonAsync("/api/maintenances")).AsArray());
    }

    [Fact]
    public async Task A_responder_gets_403_on_the_keys_and_operators_pages_and_their_forged_posts_change_nothing()
    {
        var (_, responder) = await App.SignedInOperatorAsync(Admin, "rita@example.com", "responder");
        using var _ = responder;
        Assert.Contains("Not allowed", await responder.PageAsync("/console/keys", HttpStatusCode.Forbidden), StringComparison.Ordinal);
        await responder.PageAsync("/console/operators", HttpStatusCode.Forbidden);

        // The antiforgery token of a page the responder may open: it is the session's, not the page's.
        var html = await responder.PageAsync("/console/components");
        var keysBefore = await WithDbAsync(db => db.ApiKeys.CountAsync());
        using (var key = await responder.SubmitAsync("/console/keys", "create", Fields(("Input.Name", "forged"), ("scope", "admin")), html))
        {
            Assert.Equal(HttpStatusCode.Forbidden, key.StatusCode);
            Assert.DoesNotContain("shown this once", await key.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var invite = await responder.SubmitAsync("/console/operators", "invite",
                   Fields(("Input.Email", "mallory@example.com"), ("Input.Name", "Mallory"), ("Input.Role", "admin")), html))
        {
            Assert.Equal(HttpStatusCode.Forbidden, invite.StatusCode);
        }
        Assert.Equal(keysBefore, await WithDbAsync(db => db.ApiKeys.CountAsync()));
        Assert.False(await WithDbAsync(db => db.Operators.AnyAsync(o => o.Email == "mallory@example.com")));
    }

    [Fact]
    public async Task A_responder_s_component_change_is_made_by_the_same_service_and_audited_like_the_api_call()
    {
        var (_, responder) = await App.SignedInOperatorAsync(Admin, "rita@example.com", "responder");
        using var _ = responder;
        var location = await responder.SubmitRedirectsAsync("/console/components", "create", Fields(("Input.Name", "Website"), ("Input.Group", "Public"), ("Input.Status", "operational")));
        Assert.StartsWith("/console/components?notice=created", location, StringComparison.Ordinal);
        var created = Assert.Single((await Admin.GetJsonAsync("/api/components")).AsArray())!;
        Assert.Equal("Public", created["group"]!.GetValue<string>());

        // The same rule as the API: a second "Website" in the group is refused, next to the name.
        var again = await responder.SubmitShowsAsync("/console/components", "create", Fields(("Input.Name", "website"), ("Input.Group", "Public")));
        Assert.Contains("id=\"new-name-error\"", again, StringComparison.Ordinal);
        Assert.Contains("already exists in the group", again, StringComparison.Ordinal);

        var entries = await WithDbAsync(db => db.AuditEntries.Where(e => e.Actor == "operator:rita@example.com" && e.Action.StartsWith("admin.")).OrderBy(e => e.Id).ToListAsync());
        Assert.Collection(entries,
            ok =>
            {
                Assert.Equal("admin.post", ok.Action);
                Assert.Contains("\"status\":201", ok.Data, StringComparison.Ordinal);
                Assert.Contains("\"via\":\"console\"", ok.Data, StringComparison.Ordinal);
            },
            refused =>
            {
                Assert.Equal("admin.post", refused.Action);
                Assert.Contains("\"status\":409", refused.Data, StringComparison.Ordinal);
            });
    }

    [Fact]
    public async Task The_last_admin_cannot_demote_themself_and_is_told_so_next_to_the_role()
    {
        var (id, admin) = await App.SignedInOperatorAsync(Admin, "ana@example.com", "admin");
        using var _ = admin;
        var form = $"role-{Guid.Parse(id):N}";
        var html = await admin.SubmitShowsAsync("/console/operators", form, Fields(("Input.Role", "viewer")));
        Assert.Contains($"id=\"role-{Guid.Parse(id):N}-error\"", html, StringComparison.Ordinal);
        Assert.Contains("is the last admin", html, StringComparison.Ordinal);
        Assert.Equal(OperatorRoles.Admin, (await Admin.OperatorAsync(id))["role"]!.GetValue<string>());
    }
}
