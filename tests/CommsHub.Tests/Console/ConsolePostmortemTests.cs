using System.Net;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using CommsHub.Tests.Auth;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Console;

/// <summary>The incident page's postmortem form: the same rules as PUT /api/incidents/{id}/postmortem, checked on the server.</summary>
public sealed class ConsolePostmortemTests : SqliteAppTest
{
    private static Dictionary<string, string> Fields(params (string Name, string Value)[] fields) => fields.ToDictionary(f => f.Name, f => f.Value);

    private async Task<string> ResolvedIncidentAsync()
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Playback outage", message = "Fixed.", status = "resolved", notify = false });
        return incident["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task A_responder_publishes_a_postmortem_that_shows_on_the_public_page_and_is_audited_as_the_api_call()
    {
        var id = await ResolvedIncidentAsync();
        var (_, responder) = await App.SignedInOperatorAsync(Admin, "rita@example.com", "responder");
        using var _ = responder;
        var page = await responder.PageAsync($"/console/incidents/{id}");
        Assert.Contains("Publish the postmortem", page, StringComparison.Ordinal);

        var next = await responder.SubmitRedirectsAsync($"/console/incidents/{id}", "postmortem",
            Fields(("Input.Body", "## What happened\n\nA bad **configuration** change. <script>alert(1)</script>")), page);
        Assert.StartsWith($"/console/incidents/{id}?notice=postmortem", next);
        Assert.Contains("Postmortem published", await responder.PageAsync(next), StringComparison.Ordinal);

        var stored = await Admin.GetJsonAsync($"/api/incidents/{id}");
        Assert.StartsWith("## What happened", stored["postmortem"]!["body"]!.GetValue<string>());
        using var visitor = App.CreateClient();
        await Eventually.HoldsAsync(async () => (await visitor.GetStringAsync($"/incidents/{id}")).Contains("<strong>configuration</strong>", StringComparison.Ordinal),
            "the public page shows the postmortem");
        Assert.DoesNotContain("<script>alert(1)", await visitor.GetStringAsync($"/incidents/{id}"), StringComparison.Ordinal);
        var audited = await WithDbAsync(db => db.AuditEntries.Where(e => e.Actor == "operator:rita@example.com" && e.Data.Contains("postmortem")).ToListAsync());
        Assert.Contains(audited, e => e.Data.Contains("\"console\"", StringComparison.Ordinal) && e.Data.Contains("PUT", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_empty_text_is_refused_next_to_the_field_and_a_viewer_s_forged_post_gets_403_both_changing_nothing()
    {
        var id = await ResolvedIncidentAsync();
        var (_, responder) = await App.SignedInOperatorAsync(Admin, "rita@example.com", "responder");
        using (responder)
        {
            using var empty = await responder.SubmitAsync($"/console/incidents/{id}", "postmortem", Fields(("Input.Body", "   ")));
            Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
            Assert.Contains("postmortem-body-error", await empty.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var (_, viewer) = await App.SignedInOperatorAsync(Admin, "vera@example.com", "viewer");
        using var __ = viewer;
        var html = await viewer.PageAsync($"/console/incidents/{id}");
        Assert.DoesNotContain("Publish the postmortem", html, StringComparison.Ordinal);
        using var forged = await viewer.SubmitAsync($"/console/incidents/{id}", "postmortem", Fields(("Input.Body", "Forged.")), html);
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Null((await Admin.GetJsonAsync($"/api/incidents/{id}"))["postmortem"]?["body"]);
    }
}
