using System.Net;
using System.Text.Json.Nodes;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Incidents;

public sealed class RetractionTests : IncidentApiTest
{
    [Fact]
    public async Task A_retracted_incident_is_gone_from_every_public_surface_and_kept_in_the_admin_api()
    {
        var streaming = await Admin.CreateComponentAsync("Streaming");
        await Admin.SubscribeAsync("ann@example.com");
        var incident = await Admin.PostAsync("/api/incidents", new
        {
            title = "Test incident please ignore", message = "Testing.", impact = "critical",
            components = new[] { new { id = streaming, status = "major_outage" } },
        });
        var id = Id(incident);
        await SettledDeliveriesAsync($"incidentId={id}", 1);
        await PublicEventuallyAsync("/api/v2/incidents.json", b => b.Contains(id, StringComparison.Ordinal), "lists the incident");
        Assert.Equal(HttpStatusCode.OK, (await PublicAsync($"/incidents/{id}")).Status);

        await DeleteAsync($"/api/incidents/{id}");

        await PublicEventuallyAsync("/api/v2/incidents.json", b => !b.Contains(id, StringComparison.Ordinal), "no longer lists it");
        foreach (var path in new[] { "/", "/history", "/history.atom", "/history.rss", "/api/v2/summary.json", "/api/v2/incidents/unresolved.json" })
        {
            Assert.DoesNotContain("Test incident please ignore", (await PublicAsync(path)).Body, StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await PublicAsync($"/incidents/{id}")).Status);
        Assert.Equal("none", JsonNode.Parse((await PublicAsync("/api/v2/status.json")).Body)!["status"]!["indicator"]!.GetValue<string>());
        // The status it gave its component is given back.
        Assert.Equal("operational", (await Admin.GetJsonAsync($"/api/components/{streaming}"))["status"]!.GetValue<string>());

        var kept = await Admin.GetJsonAsync($"/api/incidents/{id}");
        Assert.NotNull(kept["retractedAt"]);
        Assert.Single(kept["updates"]!.AsArray());
        Assert.Single(await Admin.AllDeliveriesAsync($"incidentId={id}"));
        Assert.Empty((await Admin.GetJsonAsync("/api/incidents?state=open")).AsArray());
        Assert.Single((await Admin.GetJsonAsync("/api/incidents?state=retracted")).AsArray());
        Assert.Equal(1, await WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Action == "incident.retracted" && a.Subject == id)));

        await Admin.PostAsync($"/api/incidents/{id}/updates", new { message = "More." }, HttpStatusCode.Conflict);
        await PatchAsync($"/api/incidents/{id}", new { title = "x" }, HttpStatusCode.Conflict);
        await DeleteAsync($"/api/incidents/{id}"); // again: still retracted, nothing else
        await DeleteAsync($"/api/incidents/{Guid.NewGuid()}", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Retracting_leaves_a_component_that_another_open_incident_names_and_withdraws_scheduled_updates()
    {
        var streaming = await Admin.CreateComponentAsync("Streaming");
        var real = await Admin.PostAsync("/api/incidents", new
        {
            title = "Real outage", message = "Investigating.", components = new[] { new { id = streaming, status = "partial_outage" } },
        });
        var mistaken = await Admin.PostAsync("/api/incidents", new
        {
            title = "Duplicate", message = "Investigating.", components = new[] { new { id = streaming, status = "major_outage" } },
        });
        var scheduled = await Admin.PostAsync($"/api/incidents/{Id(mistaken)}/updates",
            new { message = "Still on it.", publishAt = DateTimeOffset.UtcNow.AddHours(1) }, HttpStatusCode.Accepted);

        await DeleteAsync($"/api/incidents/{Id(mistaken)}");

        Assert.Equal("major_outage", (await Admin.GetJsonAsync($"/api/components/{streaming}"))["status"]!.GetValue<string>());
        var withdrawn = await Admin.GetJsonAsync($"/api/incidents/{Id(mistaken)}/scheduled-updates/{Id(scheduled)}");
        Assert.Equal("withdrawn", withdrawn["state"]!.GetValue<string>());
        Assert.Null((await Admin.GetJsonAsync($"/api/incidents/{Id(real)}"))["retractedAt"]);
    }
}
