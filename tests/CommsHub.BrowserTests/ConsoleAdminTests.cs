using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using CommsHub.BrowserTests.Infrastructure;
using CommsHub.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommsHub.BrowserTests;

/// <summary>Components, maintenances, API keys and operators, run from the console by keyboard and mouse.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleAdminTests(Chromium chromium) : IAsyncLifetime
{
    private LiveApp _app = null!;

    public Task InitializeAsync()
    {
        _app = LiveApp.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static ILocator Notice(IPage page) => page.Locator("p.notice[role=status]");

    private async Task<List<JsonNode>> ComponentsAsync() =>
        (await _app.Admin.GetJsonAsync("/api/components")).AsArray().Select(c => c!).ToList();

    [Fact]
    public async Task A_responder_adds_a_component_moves_it_up_by_keyboard_changes_its_status_and_deletes_it()
    {
        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "responder");
        await page.GotoAsync(_app.Link("/console/components"));
        foreach (var name in new[] { "Website", "API" })
        {
            await page.Locator("#new-name").FillAsync(name);
            await page.Locator("#new-group").FillAsync("Core");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add component" }).ClickAsync();
            await Expect(Notice(page)).ToHaveTextAsync("The component was added.");
        }
        Assert.Equal(["Website", "API"], (await ComponentsAsync()).Select(c => c["name"]!.GetValue<string>()));
        var api = (await ComponentsAsync()).Single(c => c["name"]!.GetValue<string>() == "API")["id"]!.GetValue<string>();
        var key = Guid.Parse(api).ToString("N");

        // By keyboard: focus the button and press Enter.
        await page.GetByRole(AriaRole.Button, new() { Name = "Up (API)" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(Notice(page)).ToHaveTextAsync("The component was moved.");
        Assert.Equal(["API", "Website"], (await ComponentsAsync()).Select(c => c["name"]!.GetValue<string>()));
        await Expect(page.Locator("table.components tbody tr th .name").First).ToHaveTextAsync("API");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Up (API)" })).ToBeDisabledAsync();

        await page.Locator($"#status-{key}").SelectOptionAsync("major_outage");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set the status of API" }).ClickAsync();
        await Expect(Notice(page)).ToContainTextAsync("The status was changed");
        await Expect(page.Locator($"#c-{key} .badge")).ToHaveTextAsync("Major outage");
        using var anonymous = LiveApp.Client(_app.Url);
        await Eventually.HoldsAsync(async () => (await anonymous.GetStringAsync("/api/v2/components.json")).Contains("\"major_outage\"", StringComparison.Ordinal),
            "the public API shows the major outage", TimeSpan.FromSeconds(20));

        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await ConsoleBrowser.ScreenshotsAsync(page, "components");

        await page.Locator($"#c-{key} details summary").Filter(new() { HasText = "Delete" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete “API”" }).ClickAsync();
        await Expect(Notice(page)).ToHaveTextAsync("The component was deleted.");
        await Expect(page.Locator($"#c-{key}")).ToHaveCountAsync(0);
        Assert.Equal(["Website"], (await ComponentsAsync()).Select(c => c["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_responder_schedules_a_maintenance_sees_it_in_the_list_and_calendar_then_extends_and_cancels_it()
    {
        await _app.Admin.PostAsync("/api/components", new { name = "Database" });
        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "responder", timeZone: "Europe/Berlin");
        await page.GotoAsync(_app.Link("/console/maintenances"));
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var start = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddDays(10), berlin);
        var startText = $"{start:yyyy-MM-dd}T22:00";

        await page.Locator("#new-title").FillAsync("Database upgrade");
        await page.Locator("#new-message").FillAsync("We upgrade the database; writes pause for a few minutes.");
        await page.GetByLabel("Database", new() { Exact = true }).CheckAsync();
        await page.Locator("#new-from").FillAsync(startText);
        await page.Locator("#new-until").FillAsync($"{start:yyyy-MM-dd}T23:00");
        await page.GetByRole(AriaRole.Button, new() { Name = "Schedule maintenance" }).ClickAsync();
        await Expect(Notice(page)).ToContainTextAsync("The maintenance is scheduled");

        var maintenance = (await _app.Admin.GetJsonAsync("/api/maintenances")).AsArray().Single()!;
        var id = maintenance["id"]!.GetValue<string>();
        var key = Guid.Parse(id).ToString("N");
        var until = maintenance["scheduledUntil"]!.GetValue<DateTimeOffset>();
        // Typed in Berlin time, stored in UTC.
        Assert.Equal(new DateTimeOffset(start.Year, start.Month, start.Day, 22, 0, 0, berlin.GetUtcOffset(start.Date.AddHours(22))).ToUniversalTime(),
            maintenance["scheduledFor"]!.GetValue<DateTimeOffset>());
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Upcoming" }).Locator($"#m-{key}")).ToContainTextAsync("Database upgrade");
        await Expect(page.Locator("table.calendar")).ToContainTextAsync("Database upgrade");
        await Expect(page.Locator("table.calendar li")).ToHaveCountAsync(1);

        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await ConsoleBrowser.ScreenshotsAsync(page, "maintenances");

        await page.Locator($"#extend-{key}").SelectOptionAsync("PT1H");
        await page.GetByRole(AriaRole.Button, new() { Name = "Extend Database upgrade" }).ClickAsync();
        await Expect(Notice(page)).ToHaveTextAsync("The maintenance was extended.");
        Assert.Equal(until.AddHours(1), (await _app.Admin.GetJsonAsync($"/api/maintenances/{id}"))["scheduledUntil"]!.GetValue<DateTimeOffset>());

        await page.Locator($"#m-{key} details summary").Filter(new() { HasText = "Cancel" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel “Database upgrade”" }).ClickAsync();
        await Expect(Notice(page)).ToHaveTextAsync("The maintenance was cancelled.");
        var cancelled = await _app.Admin.GetJsonAsync($"/api/maintenances/{id}");
        Assert.Equal("completed", cancelled["status"]!.GetValue<string>());
        Assert.NotNull(cancelled["cancelledAt"]?.GetValue<DateTimeOffset>());
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Past (the last 20)" })).ToContainTextAsync("Cancelled");
    }

    [Fact]
    public async Task An_admin_makes_a_key_sees_it_once_uses_it_within_its_scopes_and_revokes_it()
    {
        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "admin");
        await page.GotoAsync(_app.Link("/console/keys"));
        await page.Locator("#new-name").FillAsync("status-board");
        await Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = "read", Exact = false }).First).ToBeCheckedAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Make key" }).ClickAsync();
        var secret = (await page.Locator("#secret").TextContentAsync())!.Trim();
        Assert.False(string.IsNullOrEmpty(secret));

        using var client = LiveApp.Client(_app.Url);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        using (var read = await client.GetAsync("/api/components"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }
        using (var write = await client.PostAsync("/api/components", JsonContent("""{"name":"X"}""")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        }

        await page.GetByRole(AriaRole.Link, new() { Name = "Done: back to the keys" }).ClickAsync();
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        await Expect(page.Locator("table")).ToContainTextAsync("status-board");

        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await ConsoleBrowser.ScreenshotsAsync(page, "keys");

        await page.Locator("details summary").Filter(new() { HasText = "Revoke" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke “status-board”" }).ClickAsync();
        await Expect(Notice(page)).ToHaveTextAsync("The key is revoked.");
        await Expect(page.Locator("table")).ToContainTextAsync("revoked");
        using (var refused = await client.GetAsync("/api/components"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
    }

    [Fact]
    public async Task An_admin_invites_an_operator_who_can_use_the_link_and_changes_their_role()
    {
        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "admin");
        await page.GotoAsync(_app.Link("/console/operators"));
        await page.Locator("#new-email").FillAsync("nia@example.com");
        await page.Locator("#new-name").FillAsync("Nia Ops");
        await page.Locator("#new-role").SelectOptionAsync("responder");
        await page.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true }).ClickAsync();
        var link = await page.Locator("#invitation-link").GetAttributeAsync("href");
        Assert.Contains("/invitation?token=", link, StringComparison.Ordinal);

        var nia = (await _app.Admin.GetJsonAsync("/api/operators")).AsArray().Single(o => o!["email"]!.GetValue<string>() == "nia@example.com")!;
        Assert.Equal("responder", nia["role"]!.GetValue<string>());
        var key = Guid.Parse(nia["id"]!.GetValue<string>()).ToString("N");
        await page.GetByRole(AriaRole.Link, new() { Name = "Done: back to the operators" }).ClickAsync();
        await Expect(page.Locator($"#o-{key}")).ToContainTextAsync("invited");

        await page.Locator($"#role-{key}").SelectOptionAsync("viewer");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change the role of nia@example.com" }).ClickAsync();
        await Expect(Notice(page)).ToContainTextAsync("The role is changed");
        Assert.Equal("viewer", (await _app.Admin.GetJsonAsync($"/api/operators/{nia["id"]!.GetValue<string>()}"))["role"]!.GetValue<string>());

        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await ConsoleBrowser.ScreenshotsAsync(page, "operators");
    }

    [Fact]
    public async Task A_viewer_gets_the_403_page_for_keys_and_operators()
    {
        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "viewer");
        foreach (var path in new[] { "/console/keys", "/console/operators" })
        {
            var response = await page.GotoAsync(_app.Link(path));
            Assert.Equal(403, response!.Status);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();
        }
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
