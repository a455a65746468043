using System.Text.RegularExpressions;
using CommsHub.BrowserTests.Infrastructure;
using CommsHub.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommsHub.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class LivePageTests(Chromium chromium) : IAsyncLifetime
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

    [Fact]
    public async Task An_open_page_shows_a_published_incident_without_reloading()
    {
        var streaming = await _app.Admin.CreateComponentAsync("Streaming");
        await _app.Admin.CreateComponentAsync("Billing");
        await _app.PageShowsAsync("Billing");
        var page = await _context.NewPageAsync();
        // The page subscribes to /events from its script (/assets/live.js): wait until the stream answers,
        // or a publish could land before the page listens.
        var stream = page.WaitForResponseAsync(r => r.Url == _app.Link("/events"));
        await page.GotoAsync(_app.Link("/"));
        await stream;
        var banner = page.Locator("main .banner");
        await Expect(banner).ToContainTextAsync("All Systems Operational");
        await Expect(page.Locator("main")).Not.ToContainTextAsync("Active incidents");
        await page.EvaluateAsync("() => { window.__marker = 1; }");
        var navigations = 0;
        page.FrameNavigated += (_, frame) => navigations += frame == page.MainFrame ? 1 : 0;

        await _app.PublishIncidentAsync("Video playback fails in Europe", "Videos stop after a few seconds for viewers in Europe. We are investigating.",
            "major", [new { id = streaming, status = "partial_outage" }]);

        await Expect(page.Locator("main")).ToContainTextAsync("Video playback fails in Europe", new() { Timeout = 20_000 });
        await Expect(banner).ToContainTextAsync("Partial System Outage");
        await Expect(banner).ToHaveClassAsync(new Regex(@"\bmajor\b"));
        var row = page.Locator("main .component").Filter(new() { HasText = "Streaming" });
        await Expect(row.Locator(".st-partial_outage")).ToBeVisibleAsync();
        Assert.Equal(1, await page.EvaluateAsync<int?>("() => window.__marker"));
        Assert.Equal(0, navigations);

        await page.ScreenshotAsync(new() { Path = Artifacts.PathFor("status-page.png"), FullPage = true });
    }
}
