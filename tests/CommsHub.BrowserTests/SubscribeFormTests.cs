using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CommsHub.BrowserTests.Infrastructure;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommsHub.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class SubscribeFormTests(Chromium chromium) : IAsyncLifetime
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
    public async Task Subscribing_with_an_email_shows_almost_done_and_stores_a_pending_subscriber()
    {
        var page = await _context.NewPageAsync();
        await page.GotoAsync(_app.Link("/"));

        await page.GetByLabel("Email").FillAsync("ada@example.com");
        await page.GetByRole(AriaRole.Button, new() { Name = "Subscribe" }).ClickAsync();

        await Expect(page).ToHaveTitleAsync(new Regex("^Almost done"));
        await Expect(page.Locator("h1")).ToContainTextAsync("Almost done");
        await Expect(page.Locator("main")).ToContainTextAsync("We sent you an email: open its link to confirm.");
        var subscribers = await SubscribersAsync();
        var subscriber = Assert.Single(subscribers)!;
        Assert.Equal("ada@example.com", subscriber["address"]!.GetValue<string>());
        Assert.Equal("pending", subscriber["status"]!.GetValue<string>());
        Assert.Equal("email", subscriber["channel"]!.GetValue<string>());
        // The confirmation goes out through the bus (sandboxed: no SendGrid key). Waiting for it
        // also keeps the app from stopping under a consumer in flight.
        var id = Guid.Parse(subscriber["id"]!.GetValue<string>());
        await Eventually.HoldsAsync(
            () => _app.WithDbAsync(db => db.Subscribers.AnyAsync(s => s.Id == id && s.ConfirmationSentAt != null)),
            "the confirmation email was sent");
    }

    [Fact]
    public async Task Subscribing_with_a_bad_address_shows_the_errors_and_stores_nothing()
    {
        var page = await _context.NewPageAsync();
        await page.GotoAsync(_app.Link("/"));
        // The browser's own type=email check would stop the form before the server sees it:
        // submit it the way a browser without that check (or a hand-made request) does.
        await page.Locator("form[action='/subscribe']").EvaluateAsync("f => f.noValidate = true");

        await page.GetByLabel("Email").FillAsync("not-an-address");
        var response = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Subscribe" }).ClickAsync(),
            r => r.Url == _app.Link("/subscribe"));

        Assert.Equal(400, response.Status);
        await Expect(page.Locator("h1")).ToContainTextAsync("Please check the form");
        await Expect(page.Locator("main li")).ToHaveTextAsync(["'not-an-address' is not a valid email address."]);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Back to the form" })).ToHaveAttributeAsync("href", "/#subscribe");
        Assert.Empty(await SubscribersAsync());
    }

    private async Task<JsonArray> SubscribersAsync() =>
        (await _app.Admin.GetJsonAsync("/api/subscribers?limit=100"))["items"]!.AsArray();
}
