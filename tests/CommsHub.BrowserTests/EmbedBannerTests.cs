using CommsHub.BrowserTests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommsHub.BrowserTests;

/// <summary>embed.js on a customer's page (another origin) reading the CORS-open summary.json.</summary>
[Collection(BrowserCollection.Name)]
public sealed class EmbedBannerTests(Chromium chromium) : IAsyncLifetime
{
    private LiveApp _app = null!;
    private OtherSite _site = null!;
    private IBrowserContext _context = null!;

    public async Task InitializeAsync()
    {
        _app = LiveApp.Start();
        _site = await OtherSite.StartAsync(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Acme</title></head>" +
            $"<body><h1>Acme, the shop</h1><script src=\"{_app.Link("/embed.js")}\" async></script></body></html>");
        Assert.NotEqual(_app.Url.Port, _site.Url.Port);
        _context = await chromium.NewContextAsync();
    }

    public async Task DisposeAsync()
    {
        await _context.CloseAsync();
        await _site.DisposeAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task With_an_active_incident_the_banner_appears_and_links_to_the_incident()
    {
        var id = await _app.PublishIncidentAsync("Checkout is slow", "Payments take up to a minute; we are on it.");
        await _app.PageShowsAsync("Checkout is slow");
        var page = await _context.NewPageAsync();
        var summary = page.WaitForResponseAsync(r => r.Url == _app.Link("/api/v2/summary.json"));

        await page.GotoAsync(_site.Url.AbsoluteUri);

        Assert.Equal(200, (await summary).Status);
        var banner = page.Locator("[data-commshub-banner]");
        await Expect(banner).ToHaveCountAsync(1);
        await Expect(banner).ToBeVisibleAsync();
        await Expect(banner).ToContainTextAsync("Incident: Checkout is slow");
        await Expect(banner).ToHaveAttributeAsync("href", _app.Link($"/incidents/{id}"));

        await banner.ClickAsync();
        await Expect(page).ToHaveURLAsync(_app.Link($"/incidents/{id}"));
        await Expect(page.Locator("main h1")).ToHaveTextAsync("Checkout is slow");
    }

    [Fact]
    public async Task With_no_incident_nothing_is_added_to_the_page()
    {
        var page = await _context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) =>
        {
            // The customer's site has no favicon; that 404 is none of the script's doing.
            if (m.Type == "error" && !m.Location.Contains("/favicon.ico", StringComparison.Ordinal))
            {
                errors.Add($"{m.Text} ({m.Location})");
            }
        };
        page.PageError += (_, e) => errors.Add(e);
        var summary = page.WaitForResponseAsync(r => r.Url == _app.Link("/api/v2/summary.json"));

        await page.GotoAsync(_site.Url.AbsoluteUri);

        // The script read the summary (cross-origin, allowed: a CORS refusal would be a console
        // error) and had half a second of quiet network to act on it.
        var response = await summary;
        Assert.Equal(200, response.Status);
        Assert.Equal("*", await response.HeaderValueAsync("access-control-allow-origin"));
        await response.FinishedAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await Expect(page.Locator("[data-commshub-banner]")).ToHaveCountAsync(0);
        Assert.Empty(errors);
    }
}
