using CommsHub.BrowserTests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommsHub.BrowserTests;

/// <summary>What every console page shares: the sections a role may open, sign-out, and times in the operator's zone.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleShellTests(Chromium chromium) : IAsyncLifetime
{
    private LiveApp _app = null!;

    public Task InitializeAsync()
    {
        _app = LiveApp.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static ILocator Section(IPage page, string name) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Console" }).GetByRole(AriaRole.Link, new() { Name = name, Exact = true });

    [Fact]
    public async Task A_viewer_sees_only_the_sections_a_viewer_can_open_and_an_admin_sees_all()
    {
        var viewer = await ConsoleBrowser.SignInAsync(chromium, _app, "viewer");
        await Expect(Section(viewer, "Incidents")).ToBeVisibleAsync();
        await Expect(Section(viewer, "Home")).ToHaveAttributeAsync("aria-current", "page");
        foreach (var hidden in new[] { "Compose", "Subscribers", "Deliveries", "Audit", "API keys", "Operators" })
        {
            await Expect(Section(viewer, hidden)).ToHaveCountAsync(0);
        }

        var admin = await ConsoleBrowser.SignInAsync(chromium, _app, "admin");
        foreach (var shown in new[] { "Home", "Compose", "Incidents", "Maintenances", "Components", "Subscribers", "Deliveries", "Audit", "API keys", "Operators" })
        {
            await Expect(Section(admin, shown)).ToBeVisibleAsync();
        }
        await Accessibility.AssertNoSeriousViolationsAsync(admin);
    }

    [Fact]
    public async Task The_console_reads_in_dark_mode()
    {
        await _app.PublishIncidentAsync("Checkout errors", "Some payments fail.", "major");
        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "admin", scheme: ColorScheme.Dark);
        foreach (var (path, name) in new[] { ("/console", "home"), ("/console/incidents", "incidents"), ("/console/compose", "compose"), ("/console/subscribers", "subscribers") })
        {
            await page.GotoAsync(_app.Link(path));
            // Contrast is among what axe checks: the dark palette must pass it too.
            await Accessibility.AssertNoSeriousViolationsAsync(page);
            await ConsoleBrowser.ScreenshotsAsync(page, name + "-dark");
        }
    }

    [Fact]
    public async Task Times_are_shown_in_the_browsers_time_zone_once_it_has_told_the_server()
    {
        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "viewer", timeZone: "America/New_York");
        // The sign-in pages told the server (a cookie set by the console script): the first console page is already in that zone.
        await Expect(page.Locator("footer.console")).ToContainTextAsync("America/New_York");
    }

    [Fact]
    public async Task Signing_out_from_the_header_ends_the_session()
    {
        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "responder");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(_app.Link("/login?notice=signed-out"));
        await page.GotoAsync(_app.Link("/console/incidents"));
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login\\?returnUrl="));
    }
}
