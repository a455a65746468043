using System.Net;
using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Core.Components;
using CommsHub.Core.Incidents;
using CommsHub.Core.StatusPage;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.Extensions.DependencyInjection;
using static CommsHub.Tests.StatusPage.StatusSeed;

namespace CommsHub.Tests.Website;

/// <summary>Maintenances on the served website, Statuspage API and calendar, in a page whose time zone is Berlin.</summary>
public sealed class MaintenanceWebsiteTests : SqliteAppTest
{
    // Winter time in Berlin: UTC+01:00.
    private static readonly DateTimeOffset UpcomingFrom = new(2027, 1, 15, 20, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private readonly Component _api = Component("API", Now.AddDays(-30), ComponentStatus.UnderMaintenance);
    private readonly Component _search = Component("Search", Now.AddDays(-30));
    private Incident _active = null!;
    private Incident _upcoming = null!;
    private Incident _overnight = null!;
    private Incident _completed = null!;
    private Incident _cancelled = null!;

    protected override Dictionary<string, string?> Settings() => new() { ["StatusPage:TimeZone"] = "Europe/Berlin" };

    private async Task SeedAsync()
    {
        _active = Maintenance("Database failover", IncidentStatus.InProgress, Now.AddDays(-2), Now.AddMinutes(-30), Now.AddHours(2), [_api]);
        _upcoming = Maintenance("Search reindex", IncidentStatus.Scheduled, Now.AddDays(-1), UpcomingFrom, UpcomingFrom.AddHours(2.5), [_search]);
        _overnight = Maintenance("Network upgrade", IncidentStatus.Scheduled, Now.AddDays(-1), UpcomingFrom.AddDays(7).AddHours(2), UpcomingFrom.AddDays(8), [_search]);
        _completed = Maintenance("Disk replacement", IncidentStatus.Completed, Now.AddDays(-9), Now.AddDays(-7), Now.AddDays(-7).AddHours(1), [_search]);
        _cancelled = Maintenance("Cache flush", IncidentStatus.Completed, Now.AddDays(-3), Now.AddDays(4), Now.AddDays(4).AddHours(1), [_search], cancelled: true);
        await WithDbAsync(db =>
        {
            db.AddRange(_api, _search, _active, _upcoming, _overnight, _completed, _cancelled);
            return db.SaveChangesAsync();
        });
        App.Services.GetRequiredService<StatusChangeSignal>().Notify();
        await Eventually.HoldsAsync(async () => (await PageAsync("/")).Contains("Database failover", StringComparison.Ordinal), "the page shows the seeded maintenances", TimeSpan.FromSeconds(20));
    }

    private async Task<string> PageAsync(string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var client = App.CreateClient();
        using var response = await client.GetAsync(path);
        Assert.Equal(expected, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        // A page as a reader sees it: the pages encode every character outside ASCII, '+' included.
        return response.Content.Headers.ContentType?.MediaType == "text/html" ? WebUtility.HtmlDecode(text) : text;
    }

    [Fact]
    public async Task An_active_maintenance_is_a_banner_and_upcoming_ones_are_listed_with_their_window_in_the_page_time_zone()
    {
        await SeedAsync();

        var home = await PageAsync("/");

        Assert.Contains("Service Under Maintenance", home);
        var banner = home[home.IndexOf("<section class=\"card banner maintenance\" aria-label=\"Maintenance in progress\"", StringComparison.Ordinal)..];
        Assert.StartsWith($"<section class=\"card banner maintenance\" aria-label=\"Maintenance in progress\"><span aria-hidden=\"true\">🔧</span><div><a href=\"/incidents/{_active.Id}\">Database failover</a>", banner);
        Assert.Contains("Started: Database failover.", banner[..banner.IndexOf("</section>", StringComparison.Ordinal)]);
        var upcoming = home[home.IndexOf("<h2 id=\"upcoming\">Upcoming maintenance</h2>", StringComparison.Ordinal)..];
        // Soonest first, each with its window in Berlin time: the end's date only when it is another day.
        Assert.True(upcoming.IndexOf("Search reindex", StringComparison.Ordinal) < upcoming.IndexOf("Network upgrade", StringComparison.Ordinal));
        Assert.Contains("15 Jan 2027, 21:00 – 23:30 UTC+01:00", upcoming);
        Assert.Contains("22 Jan 2027, 23:00 – 23 Jan 2027, 21:00 UTC+01:00", upcoming);
        Assert.Contains("Affects Search", upcoming);
        Assert.Contains("Announcing: Search reindex.", upcoming);
        // Completed and cancelled ones are past; reminders are not part of any page.
        Assert.DoesNotContain("Disk replacement", home);
        Assert.DoesNotContain("Cache flush", home);
        Assert.DoesNotContain("Reminder:", home);
        // The history is incidents only, as Statuspage has it.
        Assert.DoesNotContain("Database failover", await PageAsync("/history"));
    }

    [Fact]
    public async Task A_maintenance_has_its_own_page_with_its_window_and_public_updates()
    {
        await SeedAsync();

        var upcoming = await PageAsync($"/incidents/{_upcoming.Id}");
        Assert.Contains("<h1>Search reindex</h1>", upcoming);
        Assert.Contains("<strong>Scheduled</strong> · Scheduled maintenance", upcoming);
        Assert.Contains("15 Jan 2027, 21:00 – 23:30 UTC+01:00", upcoming);
        Assert.Contains("Announcing: Search reindex.", upcoming);
        Assert.DoesNotContain("Reminder:", upcoming);

        var active = await PageAsync($"/incidents/{_active.Id}");
        Assert.Contains("<strong>In progress</strong>", active);
        Assert.Contains("API: Operational → Under maintenance", active);

        var cancelled = await PageAsync($"/incidents/{_cancelled.Id}");
        Assert.Contains("<strong>Cancelled</strong> · Scheduled maintenance", cancelled);
        Assert.Contains("Cancelled: Cache flush.", cancelled);
        Assert.Contains("<strong>Completed</strong>", await PageAsync($"/incidents/{_completed.Id}"));
    }

    [Fact]
    public async Task The_statuspage_api_and_the_calendar_serve_maintenances_and_the_incident_documents_do_not()
    {
        await SeedAsync();

        string[] Ids(JsonNode document) => [.. document["scheduled_maintenances"]!.AsArray().Select(m => m!["id"]!.GetValue<string>())];
        var upcoming = JsonNode.Parse(await PageAsync("/api/v2/scheduled-maintenances/upcoming.json"))!;
        Assert.Equal([_upcoming.Id.ToString(), _overnight.Id.ToString()], Ids(upcoming));
        Assert.Equal("2027-01-15T20:00:00.000Z", upcoming["scheduled_maintenances"]![0]!["scheduled_for"]!.GetValue<string>());
        Assert.Equal("maintenance", upcoming["scheduled_maintenances"]![0]!["impact"]!.GetValue<string>());
        Assert.Equal([_active.Id.ToString()], Ids(JsonNode.Parse(await PageAsync("/api/v2/scheduled-maintenances/active.json"))!));
        Assert.Equal(5, Ids(JsonNode.Parse(await PageAsync("/api/v2/scheduled-maintenances.json"))!).Length);
        var summary = JsonNode.Parse(await PageAsync("/api/v2/summary.json"))!;
        Assert.Equal([_active.Id.ToString(), _upcoming.Id.ToString(), _overnight.Id.ToString()], Ids(summary));
        Assert.Empty(summary["incidents"]!.AsArray());
        Assert.Equal("maintenance", summary["status"]!["indicator"]!.GetValue<string>());
        Assert.Empty(JsonNode.Parse(await PageAsync("/api/v2/incidents.json"))!["incidents"]!.AsArray());
        Assert.DoesNotContain("Reminder:", await PageAsync("/api/v2/scheduled-maintenances.json"));
        Assert.DoesNotContain("Database failover", await PageAsync("/history.atom"));

        var ics = await PageAsync("/maintenances.ics");
        Assert.Equal(5, ics.Split("BEGIN:VEVENT").Length - 1);
        var cancelled = ics[ics.IndexOf($"UID:maintenance-{_cancelled.Id}@status.test", StringComparison.Ordinal)..];
        Assert.Contains("STATUS:CANCELLED", cancelled[..cancelled.IndexOf("END:VEVENT", StringComparison.Ordinal)]);
        Assert.Contains("DTSTART:20270115T200000Z", ics);

        // A rebuild with nothing changed serves the calendar (and everything else) unchanged.
        using var client = App.CreateClient();
        var etag = (await client.GetAsync("/maintenances.ics")).Headers.ETag;
        App.Services.GetRequiredService<CommsHub.Api.Website.StatusSnapshot>().Wake();
        await Task.Delay(500);
        Assert.Equal(etag, (await client.GetAsync("/maintenances.ics")).Headers.ETag);
    }
}
