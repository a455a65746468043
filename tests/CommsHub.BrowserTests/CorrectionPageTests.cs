using System.Net.Http.Json;
using CommsHub.BrowserTests.Infrastructure;
using CommsHub.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommsHub.BrowserTests;

/// <summary>Corrections and retractions, as a visitor with the page open sees them: without reloading.</summary>
[Collection(BrowserCollection.Name)]
public sealed class CorrectionPageTests(Chromium chromium) : IAsyncLifetime
{
    private LiveApp _app = null!;
    private IBrowserContext _context = null!;

    public async Task InitializeAsync()
    {
        _app = LiveApp.Start();
        _context = await chromium.NewContextAsync(new() { ViewportSize = new() { Width = 1000, Height = 900 } });
    }

    public async Task DisposeAsync()
    {
        await _context.CloseAsync();
        await _app.DisposeAsync();
    }

    private async Task<IPage> OpenLiveAsync(string path)
    {
        var page = await _context.NewPageAsync();
        // Wait until the page listens to /events, or a change could land before it does.
        var stream = page.WaitForResponseAsync(r => r.Url == _app.Link("/events"));
        await page.GotoAsync(_app.Link(path));
        await stream;
        return page;
    }

    [Fact]
    public async Task An_open_incident_page_shows_a_correction_marked_as_edited()
    {
        var id = await _app.PublishIncidentAsync("Video playback fails", "Viewers in Europe cannot start videos.");
        await _app.PageShowsAsync("Video playback fails");
        var incident = await _app.Admin.GetJsonAsync($"/api/incidents/{id}");
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();
        var page = await OpenLiveAsync($"/incidents/{id}");
        await Expect(page.Locator("main .update")).ToContainTextAsync("Viewers in Europe cannot");
        await Expect(page.Locator("main .edited")).ToHaveCountAsync(0);

        using var response = await _app.Admin.PatchAsJsonAsync($"/api/incidents/{id}/updates/{updateId}",
            new { message = "Viewers in Europe and Asia cannot start videos." });
        response.EnsureSuccessStatusCode();

        await Expect(page.Locator("main .update")).ToContainTextAsync("Europe and Asia", new() { Timeout = 20_000 });
        await Expect(page.Locator("main .update .edited")).ToContainTextAsync("edited");
        await page.ScreenshotAsync(new() { Path = Artifacts.PathFor("incident-corrected.png"), FullPage = true });
    }

    [Fact]
    public async Task A_retracted_incident_leaves_open_pages_without_reloading()
    {
        var id = await _app.PublishIncidentAsync("Test incident please ignore", "Testing the status page.", "critical");
        await _app.PageShowsAsync("Test incident please ignore");
        var home = await OpenLiveAsync("/");
        var incidentPage = await OpenLiveAsync($"/incidents/{id}");
        await Expect(home.Locator("main")).ToContainTextAsync("Test incident please ignore");
        await Expect(incidentPage.Locator("main h1")).ToContainTextAsync("Test incident please ignore");

        using var response = await _app.Admin.DeleteAsync($"/api/incidents/{id}");
        response.EnsureSuccessStatusCode();

        await Expect(home.Locator("main")).Not.ToContainTextAsync("Test incident please ignore", new() { Timeout = 20_000 });
        await Expect(home.Locator("main .banner")).ToContainTextAsync("All Systems Operational");
        await Expect(incidentPage.Locator("main h1")).ToHaveTextAsync("Incident not found", new() { Timeout = 20_000 });
        await incidentPage.ScreenshotAsync(new() { Path = Artifacts.PathFor("incident-retracted.png"), FullPage = true });
    }
}
