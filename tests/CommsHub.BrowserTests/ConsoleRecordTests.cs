using System.Net;
using System.Text;
using CommsHub.BrowserTests.Infrastructure;
using CommsHub.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommsHub.BrowserTests;

/// <summary>The subscribers, deliveries and audit pages, used as an admin would: import, search, page, erase, resend, filter, drill down, export, verify.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleRecordTests(Chromium chromium) : IAsyncLifetime
{
    private LiveApp _app = null!;

    public Task InitializeAsync()
    {
        // No wait between confirmations, so "resend" really sends (the throttle has its own test).
        _app = LiveApp.Start(new Dictionary<string, string?> { ["Subscriptions:ConfirmationResendAfter"] = "00:00:00" });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static ILocator Rows(IPage page) => page.Locator("#subscribers tbody tr");

    [Fact]
    public async Task An_admin_imports_with_a_bad_line_pages_searches_erases_resends_and_exports_subscribers()
    {
        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "admin");
        await page.GotoAsync(_app.Link("/console/subscribers"));
        var csv = new StringBuilder("email\n");
        for (var i = 1; i <= 60; i++)
        {
            csv.Append(i == 3 ? "not-an-email\n" : $"bulk{i:D3}@example.com\n");
        }
        await page.GetByLabel("CSV file").SetInputFilesAsync(new FilePayload { Name = "people.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(csv.ToString()) });
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        await Expect(page.Locator("#import-result")).ToContainTextAsync("Imported 59");
        // The bad one is the file's fourth line (the header is line 1).
        await Expect(page.Locator("#rejected tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#rejected tbody tr td").First).ToHaveTextAsync("4");
        await Expect(page.Locator("#rejected tbody tr")).ToContainTextAsync("not a valid email");

        // 59 subscribers: a full first page, the rest on the next.
        await page.GotoAsync(_app.Link("/console/subscribers"));
        await Expect(Rows(page)).ToHaveCountAsync(50);
        var first = await Rows(page).First.GetAttributeAsync("data-id");
        await page.GetByRole(AriaRole.Link, new() { Name = "Next page" }).ClickAsync();
        await Expect(Rows(page)).ToHaveCountAsync(9);
        Assert.NotEqual(first, await Rows(page).First.GetAttributeAsync("data-id"));

        await page.GetByLabel("Address").FillAsync("BULK007");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(Rows(page)).ToHaveCountAsync(1);
        await Expect(Rows(page).First.Locator(".address")).ToHaveTextAsync("bulk007@example.com");
        var erasedId = (await Rows(page).First.GetAttributeAsync("data-id"))!;
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await ConsoleBrowser.ScreenshotsAsync(page, "subscribers");

        await page.GetByRole(AriaRole.Link, new() { Name = "Erase bulk007@example.com" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Erase for good" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("erased");
        await Expect(page.Locator("#no-subscribers")).ToBeVisibleAsync();
        await _app.Admin.GetJsonAsync($"/api/subscribers/{erasedId}", HttpStatusCode.NotFound);

        // A pending subscriber: its confirmation goes out again.
        var pendingId = await _app.Admin.SubscribeAsync("waiting@example.com", confirmed: false);
        await Eventually.HoldsAsync(() => _app.WithDbAsync(db => Task.FromResult(db.Subscribers.Any(s => s.Id == Guid.Parse(pendingId) && s.ConfirmationSentAt != null))),
            "the first confirmation went out");
        await page.GotoAsync(_app.Link("/console/subscribers?q=waiting&status=pending"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Resend confirmation to waiting@example.com" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("A new confirmation is on its way");
        await Eventually.HoldsAsync(() => _app.WithDbAsync(db => Task.FromResult(
            db.Subscribers.Single(s => s.Id == Guid.Parse(pendingId)).ConfirmationsInWindow == 2)), "the confirmation was asked for again");

        await page.GotoAsync(_app.Link("/console/subscribers?q=bulk00"));
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Export CSV" }).ClickAsync());
        var exported = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.StartsWith("id,channel,address,status,components,createdAt,confirmedAt,unsubscribedAt", exported, StringComparison.Ordinal);
        Assert.Contains("bulk001@example.com", exported, StringComparison.Ordinal);
        Assert.DoesNotContain("bulk007@example.com", exported, StringComparison.Ordinal);
        Assert.DoesNotContain("bulk010@example.com", exported, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_admin_filters_deliveries_opens_one_with_its_attempts_exports_them_and_verifies_the_audit_chain()
    {
        await _app.Admin.SubscribeAsync("ann@example.com");
        await _app.Admin.SubscribeAsync("bob@example.com");
        var incident = await _app.PublishIncidentAsync("Checkout errors", "Some payments fail; we are on it.");
        await Eventually.HoldsAsync(async () => (await _app.Admin.AllDeliveriesAsync($"incidentId={incident}&channel=email"))
            .Count(d => d["status"]!.GetValue<string>() != "queued") == 2, "both emails are done");

        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "admin");
        await page.GotoAsync(_app.Link("/console/deliveries"));
        await page.GetByLabel("Incident id").FillAsync(incident);
        await page.GetByLabel("Channel").SelectOptionAsync("email");
        await page.GetByLabel("Recipient (exact)").FillAsync("Ann@example.com");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(page.Locator("#deliveries tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#deliveries tbody tr")).ToContainTextAsync("ann@example.com");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await ConsoleBrowser.ScreenshotsAsync(page, "deliveries");

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Export CSV" }).ClickAsync());
        var lines = (await File.ReadAllTextAsync((await download.PathAsync())!)).TrimEnd().Split("\r\n");
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("id,updateId,incidentId", lines[0], StringComparison.Ordinal);
        Assert.Contains("ann@example.com", lines[1], StringComparison.Ordinal);

        // Every message is a delivery: the admin's own invitation is listed as an operator notice, apart from the update's.
        await page.GotoAsync(_app.Link("/console/deliveries"));
        await page.GetByLabel("Kind").SelectOptionAsync("operator_notice");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(page.Locator("#deliveries tbody tr").First).ToContainTextAsync("operator notice");
        await Expect(page.Locator("#deliveries tbody tr", new() { HasText = "ann@example.com" })).ToHaveCountAsync(0);
        await page.GetByLabel("Kind").SelectOptionAsync("incident_update");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(page.Locator("#deliveries tbody tr")).ToHaveCountAsync(2);

        await page.GetByLabel("Recipient (exact)").FillAsync("ann@example.com");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await page.Locator("#deliveries tbody tr a").First.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Delivery to ann@example.com" })).ToBeVisibleAsync();
        await Expect(page.Locator("#attempts tbody tr, #no-attempts").First).ToBeVisibleAsync();
        await Expect(page.Locator("#rendered")).ToContainTextAsync("Some payments fail");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await ConsoleBrowser.ScreenshotsAsync(page, "delivery");

        await page.GotoAsync(_app.Link("/console/audit"));
        await Expect(page.Locator("#audit tbody tr").First).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify the chain" }).ClickAsync();
        await Expect(page.Locator("#verify-result")).ToContainTextAsync("The chain is intact");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await ConsoleBrowser.ScreenshotsAsync(page, "audit");
    }
}
