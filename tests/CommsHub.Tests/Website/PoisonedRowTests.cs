using System.Net;
using CommsHub.Api.Website;
using CommsHub.Core.Common;
using CommsHub.Core.Incidents;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using CommsHub.Tests.StatusPage;
using Microsoft.Data.Sqlite;

namespace CommsHub.Tests.Website;

/// <summary>
/// Rows written straight into the database, as they were before input was checked: a host that starts
/// over them serves every public resource, well-formed; one whose first build fails still starts.
/// </summary>
public sealed class PoisonedRowTests : SqliteAppTest
{
    private const string Poison = "\u001b[31mERROR\u001b[0m disk full\0 (pasted from a terminal)";

    [Fact]
    public async Task A_host_restarted_over_an_update_with_esc_and_nul_serves_every_public_resource_well_formed()
    {
        var at = DateTimeOffset.UtcNow.AddMinutes(-30);
        var (incidentId, maintenanceId) = await WithDbAsync(async db =>
        {
            var component = StatusSeed.Component($"Checkout {Poison}", at.AddDays(-1), ComponentStatus.MajorOutage);
            component.Group = $"Shop\u0007";
            component.Description = $"Pays for things\u0085{Poison}";
            db.Components.Add(component);
            var incident = new Incident
            {
                Title = $"Payments failing {Poison}", Status = IncidentStatus.Investigating, Impact = Impact.Critical, CreatedAt = at, UpdatedAt = at,
            };
            incident.Components.Add(new IncidentComponent { IncidentId = incident.Id, ComponentId = component.Id, Status = ComponentStatus.MajorOutage });
            var update = new IncidentUpdate { IncidentId = incident.Id, Status = IncidentStatus.Investigating, Message = Poison, CreatedAt = at, Public = true };
            update.ComponentChanges.Add(new ComponentChange
            {
                UpdateId = update.Id, ComponentId = component.Id, OldStatus = ComponentStatus.Operational, NewStatus = ComponentStatus.MajorOutage,
            });
            incident.Updates.Add(update);
            db.Incidents.Add(incident);
            var maintenance = StatusSeed.Maintenance($"Database upgrade {Poison}", IncidentStatus.Scheduled, at, at.AddDays(2), at.AddDays(2).AddHours(1), [component]);
            maintenance.Updates[0] = new IncidentUpdate
            {
                IncidentId = maintenance.Id, Status = IncidentStatus.Scheduled, Message = $"Announcing {Poison}", CreatedAt = at, Public = true,
            };
            db.Incidents.Add(maintenance);
            await db.SaveChangesAsync();
            return (incident.Id, maintenance.Id);
        });

        await RestartAsync();

        using var client = App.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        foreach (var path in StatusSnapshot.Paths.Append($"/incidents/{incidentId}").Append($"/incidents/{maintenanceId}"))
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
            var body = await response.Content.ReadAsStringAsync();
            WellFormed(path, response.Content.Headers.ContentType!.MediaType!, body);
        }
        var status = await client.GetJsonAsync("/api/v2/status.json");
        Assert.Equal("critical", status["status"]!["indicator"]!.GetValue<string>());
        // Each unsafe character shows as U+FFFD (the page's encoder writes it as a character reference).
        Assert.Contains("\uFFFD[31mERROR\uFFFD[0m disk full\uFFFD", await client.GetStringAsync("/history.atom"), StringComparison.Ordinal);
        Assert.Contains("Payments failing &#xFFFD;[31mERROR&#xFFFD;[0m disk full&#xFFFD;", await client.GetStringAsync("/"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_whose_first_build_fails_starts_answers_503_with_retry_after_and_serves_once_a_build_succeeds()
    {
        await Admin.CreateComponentAsync("Checkout");
        await Admin.PostAsync("/api/incidents", new { title = "Payments failing", message = "Investigating.", impact = "major" });
        // The loader reads this table first: while it is gone, no snapshot can be built (a broken database, not a bad row).
        await SqlAsync("ALTER TABLE components RENAME TO components_away");

        await RestartAsync();

        using var client = App.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        foreach (var path in new[] { "/", "/api/v2/status.json", "/history.atom" })
        {
            using var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(StatusSnapshot.RetryUnbuiltAfter, response.Headers.RetryAfter!.Delta);
        }

        await SqlAsync("ALTER TABLE components_away RENAME TO components");
        await Eventually.HoldsAsync(async () => (await client.GetAsync("/api/v2/status.json")).StatusCode == HttpStatusCode.OK,
            "the build is retried and succeeds", TimeSpan.FromSeconds(30));
        var status = await client.GetJsonAsync("/api/v2/status.json");
        Assert.Equal("major", status["status"]!["indicator"]!.GetValue<string>());
        Assert.Contains("Payments failing", await client.GetStringAsync("/"), StringComparison.Ordinal);
    }

    private static void WellFormed(string path, string mediaType, string body)
    {
        switch (mediaType)
        {
            case "text/html":
                HostileText.Html(body);
                break;
            case "application/json":
                HostileText.Json(body, clean: true);
                break;
            case "application/atom+xml" or "application/rss+xml":
                HostileText.Xml(body);
                break;
            case "text/calendar":
                HostileText.Ics(body);
                break;
            case "text/javascript":
                HostileText.Utf8(body);
                break;
            default:
                Assert.Fail($"{path}: unexpected {mediaType}");
                break;
        }
    }

    private async Task SqlAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabaseFile}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
