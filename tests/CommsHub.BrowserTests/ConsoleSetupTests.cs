using System.Net;
using System.Text.RegularExpressions;
using CommsHub.BrowserTests.Infrastructure;
using CommsHub.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommsHub.BrowserTests;

/// <summary>The first sign-in of a new installation, without curl: /setup with the admin key creates the first admin.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleSetupTests(Chromium chromium) : IAsyncLifetime
{
    private LiveApp _app = null!;

    public Task InitializeAsync()
    {
        _app = LiveApp.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task The_first_admin_is_set_up_with_the_admin_key_and_the_page_only_says_so_afterwards()
    {
        var context = await chromium.NewContextAsync(new() { ViewportSize = new() { Width = 1000, Height = 900 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(_app.Link("/login"));
        await Expect(page.Locator("#setup-notice")).ToContainTextAsync("Nobody has an account yet");
        await page.GetByRole(AriaRole.Link, new() { Name = "Set up the first admin" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Set up Acme Status" })).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await page.ScreenshotAsync(new() { Path = Artifacts.PathFor("console-setup.png"), FullPage = true });

        // A wrong key: refused next to its field, and nobody is created.
        await page.GetByLabel("Admin API key").FillAsync("not-the-key-of-this-installation-000");
        await page.GetByLabel("Your email").FillAsync("ana@example.com");
        await page.GetByLabel("Your name").FillAsync("Ana Ops");
        var refused = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Create admin and choose a password" }).ClickAsync(),
            r => r.Url.EndsWith("/setup", StringComparison.Ordinal) && r.Request.Method == "POST");
        Assert.Equal((int)HttpStatusCode.BadRequest, refused.Status);
        await Expect(page.Locator("#key-error")).ToHaveTextAsync("This is not an admin API key of this installation.");
        await Expect(page.GetByLabel("Admin API key")).ToHaveAttributeAsync("aria-invalid", "true");
        Assert.Empty((await _app.Admin.GetJsonAsync("/api/operators")).AsArray());

        await page.GetByLabel("Admin API key").FillAsync(CommsHubApp.AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create admin and choose a password" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/invitation\\?token="));
        await page.GetByLabel("New password").FillAsync(ConsoleBrowser.Password);
        await page.GetByLabel("Repeat the password").FillAsync(ConsoleBrowser.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Set password and continue" }).ClickAsync();
        await Expect(page.Locator("#setup-notice")).ToHaveCountAsync(0);
        await page.GetByLabel("Email").FillAsync("ana@example.com");
        await page.GetByLabel("Password").FillAsync(ConsoleBrowser.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(_app.Link("/console"));
        await Expect(page.Locator("#role")).ToHaveTextAsync("admin");

        // A console address that leads nowhere: the console's own page, status 404.
        var nowhere = await page.GotoAsync(_app.Link("/console/no-such-page"));
        Assert.Equal((int)HttpStatusCode.NotFound, nowhere!.Status);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not found" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Console" })).ToBeVisibleAsync();
        // A console page for something that does not exist: the same, from the page itself.
        var missing = await page.GotoAsync(_app.Link($"/console/incidents/{Guid.NewGuid()}"));
        Assert.Equal((int)HttpStatusCode.NotFound, missing!.Status);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not found" })).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page);

        await page.GotoAsync(_app.Link("/setup"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Set up is done" })).ToBeVisibleAsync();
        var audit = (await _app.Admin.GetJsonAsync("/api/audit?action=admin.post"))["items"]!.AsArray();
        Assert.Contains(audit, e => e!["data"]!["via"]?.GetValue<string>() == "setup" && e["actor"]!.GetValue<string>().StartsWith("key:", StringComparison.Ordinal));
    }
}
