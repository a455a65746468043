using System.Net;
using System.Text.Json.Nodes;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Incidents;

public sealed class CorrectionTests : IncidentApiTest
{
    [Fact]
    public async Task A_corrected_update_reads_corrected_and_edited_everywhere_and_sends_nothing_by_default()
    {
        await Admin.SubscribeAsync("ann@example.com");
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Playback outage", message = "Users in Europe cannot stream." });
        var id = Id(incident);
        var updateId = Id(incident["updates"]![0]!);
        await SettledDeliveriesAsync($"incidentId={id}", 1);

        var corrected = await PatchAsync($"/api/incidents/{id}/updates/{updateId}", new { message = "Users in Europe and Asia cannot stream." });
        Assert.Equal("Users in Europe and Asia cannot stream.", corrected["message"]!.GetValue<string>());
        Assert.NotNull(corrected["editedAt"]);

        var json = await PublicEventuallyAsync("/api/v2/incidents.json", b => b.Contains("Europe and Asia", StringComparison.Ordinal), "shows the corrected text");
        var publicUpdate = JsonNode.Parse(json)!["incidents"]![0]!["incident_updates"]![0]!;
        Assert.NotEqual(publicUpdate["created_at"]!.GetValue<string>(), publicUpdate["updated_at"]!.GetValue<string>());
        Assert.DoesNotContain("Europe cannot", json, StringComparison.Ordinal);
        var page = await PublicEventuallyAsync($"/incidents/{id}", b => b.Contains("Europe and Asia", StringComparison.Ordinal), "shows the corrected text");
        Assert.Contains("class=\"edited\"", page, StringComparison.Ordinal);
        var atom = await PublicEventuallyAsync("/history.atom", b => b.Contains("Europe and Asia", StringComparison.Ordinal), "shows the corrected text");
        Assert.Contains("(edited ", atom, StringComparison.Ordinal);

        // No correction was asked for: still the one delivery, and one update.
        Assert.Single(await Admin.AllDeliveriesAsync($"incidentId={id}"));
        Assert.Single((await Admin.GetJsonAsync($"/api/incidents/{id}"))["updates"]!.AsArray());
        var audit = await WithDbAsync(db => db.AuditEntries.Where(a => a.Action == "incident.update_corrected").ToListAsync());
        var entry = JsonNode.Parse(Assert.Single(audit).Data)!;
        Assert.Equal("Users in Europe cannot stream.", entry["before"]!.GetValue<string>());
        Assert.Equal("Users in Europe and Asia cannot stream.", entry["after"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_correction_with_notify_reaches_the_audience_again_as_a_correction_off_the_public_timeline()
    {
        await Admin.SubscribeAsync("ann@example.com");
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Playback outage", message = "Fixed at 14:00." });
        var id = Id(incident);
        var updateId = Id(incident["updates"]![0]!);
        await SettledDeliveriesAsync($"incidentId={id}", 1);

        await PatchAsync($"/api/incidents/{id}/updates/{updateId}", new { message = "Fixed at 16:00.", notify = true });
        var deliveries = await SettledDeliveriesAsync($"incidentId={id}", 2);
        Assert.Equal(2, deliveries.Select(d => d["updateId"]!.GetValue<string>()).Distinct().Count());

        var updates = (await Admin.GetJsonAsync($"/api/incidents/{id}"))["updates"]!.AsArray();
        var correction = updates.Single(u => u!["correctionOf"] is not null)!;
        Assert.Equal(updateId, correction["correctionOf"]!.GetValue<string>());
        Assert.False(correction["public"]!.GetValue<bool>());
        var json = await PublicEventuallyAsync("/api/v2/incidents.json", b => b.Contains("16:00", StringComparison.Ordinal), "shows the corrected text");
        Assert.Single(JsonNode.Parse(json)!["incidents"]![0]!["incident_updates"]!.AsArray());
    }

    [Fact]
    public async Task A_title_and_impact_are_corrected_and_marked_while_the_text_of_a_published_incident_is_corrected_per_update()
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Plyback outage", message = "Investigating.", impact = "minor" });
        var id = Id(incident);
        var patched = await PatchAsync($"/api/incidents/{id}", new { title = "Playback outage", impact = "critical" });
        Assert.Equal("Playback outage", patched["title"]!.GetValue<string>());
        Assert.Equal("critical", patched["impact"]!.GetValue<string>());
        Assert.NotNull(patched["editedAt"]);
        await PublicEventuallyAsync("/api/v2/status.json", b => b.Contains("\"critical\"", StringComparison.Ordinal), "says critical");
        var page = await PublicEventuallyAsync($"/incidents/{id}", b => b.Contains("Playback outage", StringComparison.Ordinal), "shows the corrected title");
        Assert.Contains("class=\"edited\"", page, StringComparison.Ordinal);

        var problem = await PatchAsync($"/api/incidents/{id}", new { message = "New words." }, HttpStatusCode.BadRequest);
        Assert.Contains("updates/{updateId}", problem["errors"]!["message"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        var same = await PatchAsync($"/api/incidents/{id}/updates/{Id(incident["updates"]![0]!)}", new { message = "Investigating." }, HttpStatusCode.BadRequest);
        Assert.NotNull(same["errors"]!["message"]);
        await PatchAsync($"/api/incidents/{id}/updates/{Guid.NewGuid()}", new { message = "x" }, HttpStatusCode.NotFound);
        await PatchAsync($"/api/incidents/{Guid.NewGuid()}", new { title = "x" }, HttpStatusCode.NotFound);
    }
}
