using CommsHub.BrowserTests.Infrastructure;
using CommsHub.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommsHub.BrowserTests;

/// <summary>The pages' Content-Security-Policy in a real browser: nothing of ours is blocked, and no other site can frame a page.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SecurityPolicyTests(Chromium chromium) : IAsyncLifetime
{
    private LiveApp _app = null!;
    private IBrowserContext _context = null!;

    public async Task InitializeAsync()
    {
        _app = LiveApp.Start();
        _context = await chromium.NewContextAsync();
    }

    public async Task DisposeAsync()
    {
        await _context.CloseAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task The_status_page_runs_its_script_and_nothing_is_refused_by_its_policy()
    {
        var page = await _context.NewPageAsync();
        var violations = Violations(page);
        var stream = page.WaitForResponseAsync(r => r.Url == _app.Link("/events"));
        await page.GotoAsync(_app.Link("/"));
        // Only the script (from /assets/live.js) opens the event stream.
        await stream;
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        Assert.Empty(violations);
    }

    [Fact]
    public async Task Another_site_cannot_frame_a_page()
    {
        await using var site = await OtherSite.StartAsync(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Framing</title></head>" +
            $"<body><iframe id=\"f\" title=\"status\" src=\"{_app.Link("/history")}\"></iframe></body></html>");
        var page = await _context.NewPageAsync();
        var refused = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        page.Console += (_, m) =>
        {
            if (m.Text.Contains("frame-ancestors", StringComparison.Ordinal))
            {
                refused.TrySetResult(m.Text);
            }
        };

        await page.GotoAsync(site.Url.AbsoluteUri);

        Assert.Contains("'none'", await refused.Task.WaitAsync(TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
        await Expect(page.FrameLocator("#f").Locator("footer")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_schedule_dashboard_works_under_its_own_policy_after_signing_in()
    {
        var page = await _context.NewPageAsync();
        var violations = Violations(page);
        await page.GotoAsync(_app.Link("/hangfire"));
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/hangfire/login"));
        await page.GetByLabel("Admin API key").FillAsync(CommsHubApp.AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(_app.Link("/hangfire"));
        await Expect(page.GetByText("CommsHub schedules").First).ToBeVisibleAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        Assert.Empty(violations);
        await page.ScreenshotAsync(new() { Path = Artifacts.PathFor("dashboard-under-csp.png"), FullPage = true });
    }

    /// <summary>What Chromium reports when the page's policy blocks something of the page's own.</summary>
    private static List<string> Violations(IPage page)
    {
        var violations = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Text.Contains("Content Security Policy", StringComparison.Ordinal) || m.Text.Contains("Refused to", StringComparison.Ordinal))
            {
                violations.Add(m.Text);
            }
        };
        page.PageError += (_, e) => violations.Add(e);
        return violations;
    }
}
