using System.Net;
using System.Net.Http.Json;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Auth;

public sealed class OperatorApiTests : SqliteAppTest
{
    [Fact]
    public async Task Creating_an_operator_answers_201_and_with_email_sandboxed_the_invitation_link()
    {
        using var response = await Admin.PostAsJsonAsync("/api/operators", new { email = "  Ana.Ops@Example.COM ", name = "Ana Ops", role = "responder" });
        var created = await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonNode>();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = created!["id"]!.GetValue<string>();
        Assert.Equal($"/api/operators/{id}", response.Headers.Location!.OriginalString);
        Assert.Equal("ana.ops@example.com", created["email"]!.GetValue<string>());
        Assert.Equal("Ana Ops", created["name"]!.GetValue<string>());
        Assert.Equal("responder", created["role"]!.GetValue<string>());
        Assert.StartsWith("https://status.test/invitation?token=", created["invitationUrl"]!.GetValue<string>());

        var listed = Assert.Single((await Admin.GetJsonAsync("/api/operators")).AsArray())!;
        Assert.Equal(id, listed["id"]!.GetValue<string>());
        Assert.True(listed["invitationPending"]!.GetValue<bool>());
        Assert.False(listed["twoFactorEnabled"]!.GetValue<bool>());
        Assert.False(listed["lockedOut"]!.GetValue<bool>());
        Assert.Null(listed["lastSignInAt"]);
        Assert.Null(listed["invitationUrl"]);
        var stored = await WithDbAsync(db => db.Operators.SingleAsync());
        var text = listed.ToJsonString();
        Assert.DoesNotContain(stored.SecurityStamp, text, StringComparison.Ordinal);
        Assert.DoesNotContain("password", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secret", text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(id, (await Admin.OperatorAsync(id))["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_operator_needs_an_address_a_name_and_a_known_role()
    {
        using var response = await Admin.PostAsJsonAsync("/api/operators", new { email = "not an address", name = " ", role = "owner" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonNode>())!["errors"]!;
        Assert.NotNull(errors["email"]);
        Assert.NotNull(errors["name"]);
        Assert.Contains("viewer, responder, admin", errors["role"]![0]!.GetValue<string>());
        Assert.Equal(0, await WithDbAsync(db => db.Operators.CountAsync()));

        await Admin.PostAsync("/api/operators", new { email = "a@example.com", name = "A\u001b[31m", role = "viewer" }, HttpStatusCode.BadRequest);
        await Admin.PostAsync("/api/operators", new { email = "a@example.com", name = "A", role = "viewer", rol = "admin" }, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_same_address_twice_is_a_conflict_naming_the_existing_operator()
    {
        var (id, _) = await Admin.InviteAsync("ana@example.com");
        var conflict = await Admin.PostAsync("/api/operators", new { email = "ANA@example.com", name = "Other", role = "admin" }, HttpStatusCode.Conflict);
        Assert.Equal(id, conflict["existingId"]!.GetValue<string>());
        Assert.Equal(1, await WithDbAsync(db => db.Operators.CountAsync()));
    }

    [Fact]
    public async Task An_admin_changes_the_role_and_name_and_removes_an_operator()
    {
        var (id, _) = await Admin.InviteAsync("ana@example.com", "viewer");
        var stampBefore = await WithDbAsync(db => db.Operators.Select(o => o.SecurityStamp).SingleAsync());

        using (var renamed = await Admin.PatchAsJsonAsync($"/api/operators/{id}", new { name = "Ana Lopez" }))
        {
            Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        }
        Assert.Equal(stampBefore, await WithDbAsync(db => db.Operators.Select(o => o.SecurityStamp).SingleAsync()));

        using (var promoted = await Admin.PatchAsJsonAsync($"/api/operators/{id}", new { role = "admin" }))
        {
            Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        }
        var op = await Admin.OperatorAsync(id);
        Assert.Equal("admin", op["role"]!.GetValue<string>());
        Assert.Equal("Ana Lopez", op["name"]!.GetValue<string>());
        Assert.NotEqual(stampBefore, await WithDbAsync(db => db.Operators.Select(o => o.SecurityStamp).SingleAsync()));

        using (var invalid = await Admin.PatchAsJsonAsync($"/api/operators/{id}", new { role = "root" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        }
        using (var unknown = await Admin.PatchAsJsonAsync($"/api/operators/{Guid.NewGuid()}", new { name = "X" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        // Ana is the only admin now: another one first, or she could not be removed.
        await Admin.InviteAsync("bo@example.com", "admin");
        Assert.Equal(HttpStatusCode.NoContent, (await Admin.DeleteAsync($"/api/operators/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Admin.DeleteAsync($"/api/operators/{id}")).StatusCode);
        await Admin.OperatorAsync(id, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_last_admin_is_neither_demoted_nor_removed()
    {
        var (ana, _) = await Admin.InviteAsync("ana@example.com", "admin");
        using (var demoted = await Admin.PatchAsJsonAsync($"/api/operators/{ana}", new { role = "responder" }))
        {
            Assert.Equal(HttpStatusCode.Conflict, demoted.StatusCode);
            Assert.Contains("last admin", await demoted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.Conflict, (await Admin.DeleteAsync($"/api/operators/{ana}")).StatusCode);
        Assert.Equal("admin", (await Admin.OperatorAsync(ana))["role"]!.GetValue<string>());

        // With a second admin either may go.
        await Admin.InviteAsync("bo@example.com", "admin");
        using (var demoted = await Admin.PatchAsJsonAsync($"/api/operators/{ana}", new { role = "responder" }))
        {
            Assert.Equal(HttpStatusCode.OK, demoted.StatusCode);
        }
    }

    [Fact]
    public async Task A_new_invitation_spends_the_old_link_and_is_refused_once_a_password_is_set()
    {
        var (id, first) = await Admin.InviteAsync("ana@example.com");
        var again = await Admin.PostAsync($"/api/operators/{id}/invitation", new { }, HttpStatusCode.OK);
        var second = new Uri(again["invitationUrl"]!.GetValue<string>()).PathAndQuery;

        using var browser = new ConsoleClient(App);
        Assert.Contains("has expired or has already been used", await browser.PageAsync(first));
        await browser.SetPasswordAsync(second, OperatorAccounts.Password);
        Assert.Contains("has expired or has already been used", await browser.PageAsync(second));
        await Admin.PostAsync($"/api/operators/{id}/invitation", new { }, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task The_operator_api_needs_a_key()
    {
        using var anonymous = App.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/operators")).StatusCode);
        using var response = await anonymous.PostAsJsonAsync("/api/operators", new { email = "x@example.com", name = "X", role = "admin" });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await WithDbAsync(db => db.Operators.CountAsync()));
    }
}
