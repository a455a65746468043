using CommsHub.BrowserTests.Infrastructure;
using CommsHub.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommsHub.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class NoScriptTests(Chromium chromium) : IAsyncLifetime
{
    private LiveApp _app = null!;
    private IBrowserContext _context = null!;

    public async Task InitializeAsync()
    {
        _app = LiveApp.Start();
        _context = await chromium.NewContextAsync(new() { JavaScriptEnabled = false });
    }

    public async Task DisposeAsync()
    {
        await _context.CloseAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task Without_javascript_the_page_shows_components_and_banner_and_refreshes_itself()
    {
        await _app.Admin.CreateComponentAsync("Streaming");
        await _app.Admin.CreateComponentAsync("Billing");
        await _app.PageShowsAsync("Billing");
        var page = await _context.NewPageAsync();
        var events = 0;
        page.Request += (_, r) => events += r.Url.EndsWith("/events", StringComparison.Ordinal) ? 1 : 0;

        await page.GotoAsync(_app.Link("/"));

        await Expect(page.Locator("main .banner")).ToContainTextAsync("All Systems Operational");
        var components = page.Locator("main section[aria-labelledby=components] .component");
        await Expect(components).ToHaveCountAsync(2);
        foreach (var name in new[] { "Streaming", "Billing" })
        {
            await Expect(components.Filter(new() { HasText = name })).ToContainTextAsync("Operational");
        }
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Subscribe" })).ToBeVisibleAsync();
        // Scripting off: the parser treats <noscript> contents as markup, so the refresh is a real meta element.
        await Expect(page.Locator("head noscript meta[http-equiv=refresh]")).ToHaveAttributeAsync("content", "60");
        Assert.Equal(0, events);
    }
}
