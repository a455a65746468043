using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CommsHub.BrowserTests.Infrastructure;
using CommsHub.Core.Audit;
using CommsHub.Core.Messaging;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommsHub.BrowserTests;

/// <summary>
/// The console's home, incident list and incident page: what is wrong now, sending watched live to the end
/// (real SendGrid SDK against a loopback fake), retraction, and a viewer who can look but not act.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleIncidentTests(Chromium chromium) : IAsyncLifetime
{
    private readonly SendGridFake _sendGrid = new();
    private LiveApp _app = null!;

    public Task InitializeAsync()
    {
        _app = LiveApp.Start(new Dictionary<string, string?>
        {
            // Any incident is past its reminder time as soon as it is published.
            ["Incidents:UpdateReminderAfter"] = "00:00:00.001",
            ["Channels:Email:SendGrid:ApiKey"] = "SG.test-key",
            ["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url,
            ["Channels:Email:From"] = "Acme Status <status@acme.example>",
            ["Channels:Email:BatchSize"] = "2",
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _sendGrid.Dispose();
    }

    /// <summary>
    /// As <see cref="ConsoleBrowser.SignInAsync"/>, but with email really configured the invitation arrives by
    /// mail (here: at the SendGrid fake) instead of in the API's answer.
    /// </summary>
    private async Task<IPage> SignInAsync(string role)
    {
        var email = $"{role}.{Guid.NewGuid().ToString("N")[..8]}@example.com";
        await _app.Admin.PostAsync("/api/operators", new { email, name = $"{char.ToUpperInvariant(role[0])}{role[1..]} Operator", role });
        string? link = null;
        await Eventually.HoldsAsync(() =>
        {
            var mail = _sendGrid.Requests.LastOrDefault(r => r.Recipients.Contains(email));
            link = mail is null ? null : Regex.Match(mail.Content("text/plain") ?? "", @"https?://\S+/invitation\S*").Value;
            return Task.FromResult(!string.IsNullOrEmpty(link));
        }, $"the invitation to {email} was mailed");
        var context = await chromium.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 }, TimezoneId = "Europe/Berlin" });
        var page = await context.NewPageAsync();
        await page.GotoAsync(_app.Link(new Uri(link!).PathAndQuery));
        await page.GetByLabel("New password").FillAsync(ConsoleBrowser.Password);
        await page.GetByLabel("Repeat the password").FillAsync(ConsoleBrowser.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Set password and continue" }).ClickAsync();
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(ConsoleBrowser.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(_app.Link("/console"));
        return page;
    }

    [Fact]
    public async Task The_home_marks_an_incident_past_its_reminder_time_and_shows_alerts_and_the_audit_chain()
    {
        var id = await _app.PublishIncidentAsync("Checkout errors", "We are investigating failed payments.");
        await _app.WithDbAsync(async db =>
        {
            AuditLog.Append(db, DateTimeOffset.UtcNow, AuditLog.System, PoisonAlerts.PublicResourceFailed, "/history.rss",
                new JsonObject { ["error"] = "test" });
            return await db.SaveChangesAsync();
        });

        var page = await SignInAsync("admin");
        var row = page.Locator($"tr[data-incident='{id}']");
        await Expect(row).ToHaveClassAsync("overdue");
        await Expect(row.GetByText("Update due")).ToBeVisibleAsync();
        await Expect(row.GetByRole(AriaRole.Link, new() { Name = "Post an update" })).ToHaveAttributeAsync("href", $"/console/compose?incident={id}");
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Operator alerts" })).ToContainTextAsync("status page resource failing");
        // The chain is verified in the background; the live region follows it to its result.
        await Expect(page.Locator("#audit-state")).ToHaveTextAsync("verified");
        await Expect(page.Locator("#role")).ToHaveTextAsync("admin");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await ConsoleBrowser.ScreenshotsAsync(page, "home");
    }

    [Fact]
    public async Task Sending_is_watched_live_to_100_percent_on_the_incident_page_and_the_home()
    {
        for (var i = 0; i < 4; i++)
        {
            await _app.Admin.SubscribeAsync($"reader{i}@example.com");
        }
        // The first provider request takes a while, so the pages open while the sending is in flight.
        _sendGrid.DelayFor = n => n == 1 ? TimeSpan.FromSeconds(4) : TimeSpan.Zero;
        var page = await SignInAsync("responder");
        var home = await page.Context.NewPageAsync();

        var id = await _app.PublishIncidentAsync("Login outage", "Sign-in fails for some users.");
        await page.GotoAsync(_app.Link($"/console/incidents/{id}"));
        await home.GotoAsync(_app.Link("/console"));
        await page.EvaluateAsync("window.__sameDocument = true");
        await home.EvaluateAsync("window.__sameDocument = true");

        var report = page.Locator(".report");
        await Expect(report).ToHaveAttributeAsync("data-in-flight", "true");
        var email = page.GetByRole(AriaRole.Progressbar, new() { Name = "email: 4 of 4 settled" });
        await Expect(email).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Expect(report).ToHaveAttributeAsync("data-in-flight", "false");
        await Expect(report.Locator(".pct")).ToHaveTextAsync("100 %");
        await Expect(report).ToContainTextAsync("last sent");
        await Expect(home.GetByRole(AriaRole.Progressbar, new() { Name = "email: 4 of 4 settled" })).ToBeVisibleAsync(new() { Timeout = 20_000 });
        Assert.True(await page.EvaluateAsync<bool>("window.__sameDocument === true"), "the incident page was not reloaded");
        Assert.True(await home.EvaluateAsync<bool>("window.__sameDocument === true"), "the home was not reloaded");
        Assert.Equal(4, _sendGrid.Accepted.Sum(r => r.Recipients.Count(a => a.StartsWith("reader", StringComparison.Ordinal))));

        await Expect(page.GetByText("Published by key:")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Post an update" })).ToHaveAttributeAsync("href", $"/console/compose?incident={id}");
        var updateId = (await _app.Admin.GetJsonAsync($"/api/incidents/{id}"))["updates"]![0]!["id"]!.GetValue<string>();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Correct" })).ToHaveAttributeAsync("href", $"/console/compose?incident={id}&correct={updateId}");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await ConsoleBrowser.ScreenshotsAsync(page, "incident");

        await page.GotoAsync(_app.Link("/console/incidents?status=open"));
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Login outage" })).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await ConsoleBrowser.ScreenshotsAsync(page, "incidents");
    }

    [Fact]
    public async Task A_postmortem_written_in_the_console_shows_on_the_status_page()
    {
        var created = await _app.Admin.PostAsync("/api/incidents", new { title = "Checkout outage", message = "Fixed.", status = "resolved", notify = false });
        var id = created["id"]!.GetValue<string>();
        var page = await SignInAsync("responder");
        await page.GotoAsync(_app.Link($"/console/incidents/{id}"));
        await page.GetByLabel("Text (Markdown)").FillAsync("## What happened\n\nA **bad deploy** of the payment service.\n\n- rolled back in 20 minutes\n- a canary stage added");
        await page.GetByRole(AriaRole.Button, new() { Name = "Publish the postmortem" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Postmortem published");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Replace the postmortem" })).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await ConsoleBrowser.ScreenshotsAsync(page, "postmortem");

        await page.GotoAsync(_app.Link($"/incidents/{id}"));
        await Expect(page.Locator("#postmortem")).ToContainTextAsync("bad deploy");
        await Expect(page.Locator("#postmortem strong")).ToHaveTextAsync("bad deploy");
        // The status page holds its live-event stream open; closed here, so the host stops without waiting on it.
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Retracting_takes_the_incident_off_the_status_page_after_a_confirmation()
    {
        var id = await _app.PublishIncidentAsync("Wrong region announced", "Published in error.");
        await _app.PageShowsAsync("Wrong region announced");
        var page = await SignInAsync("responder");
        await page.GotoAsync(_app.Link($"/console/incidents/{id}"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Retract…" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Retract this incident?" })).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, retract it" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(_app.Link($"/console/incidents/{id}?notice=retracted"));
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Retracted");
        await Expect(page.Locator(".marks").First).ToContainTextAsync("retracted");
        using var anonymous = LiveApp.Client(_app.Url);
        await Eventually.HoldsAsync(async () => !(await anonymous.GetStringAsync("/")).Contains("Wrong region announced", StringComparison.Ordinal),
            "the status page no longer shows the retracted incident", TimeSpan.FromSeconds(20));
        var actor = await _app.WithDbAsync(db => db.AuditEntries.Where(e => e.Action == "incident.retracted" && e.Subject == id).Select(e => e.Actor).SingleAsync());
        Assert.StartsWith("operator:responder.", actor);
    }

    [Fact]
    public async Task A_draft_is_published_from_its_page()
    {
        var draft = await _app.Admin.PostAsync("/api/incidents", new { title = "Planned wording", message = "Draft text.", impact = "minor", draft = true });
        var id = draft["id"]!.GetValue<string>();
        var page = await SignInAsync("responder");
        await page.GotoAsync(_app.Link("/console/incidents"));
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Planned wording" })).ToContainTextAsync("draft");
        await page.GetByRole(AriaRole.Link, new() { Name = "Planned wording" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Publish draft" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(_app.Link($"/console/incidents/{id}?notice=published"));
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Published");
        Assert.False((await _app.Admin.GetJsonAsync($"/api/incidents/{id}"))["draft"]!.GetValue<bool>());
        await Expect(page.GetByText("Published by operator:responder.")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_viewer_sees_no_retract_or_publish_control_and_a_forged_post_is_refused_with_nothing_changed()
    {
        var id = await _app.PublishIncidentAsync("Viewer can only look", "Investigating.");
        var draftId = (await _app.Admin.PostAsync("/api/incidents", new { title = "Viewer draft", message = "Draft.", draft = true }))["id"]!.GetValue<string>();
        var page = await SignInAsync("viewer");
        await page.GotoAsync(_app.Link($"/console/incidents/{id}?retract=confirm"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Viewer can only look" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Yes, retract it" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Retract…" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Correct" })).ToHaveCountAsync(0);
        await page.GotoAsync(_app.Link($"/console/incidents/{draftId}"));
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Publish draft" })).ToHaveCountAsync(0);

        // The form posted anyway, with the session's own antiforgery token (from the sign-out form every page has).
        var token = await page.Locator("input[name=__RequestVerificationToken]").First.GetAttributeAsync("value");
        foreach (var (target, handler) in new[] { (id, "retract"), (draftId, "publish-draft") })
        {
            var response = await page.APIRequest.PostAsync(_app.Link($"/console/incidents/{target}"), new()
            {
                Form = page.APIRequest.CreateFormData().Set("_handler", handler).Set("__RequestVerificationToken", token!),
            });
            Assert.Equal((int)HttpStatusCode.Forbidden, response.Status);
            Assert.Contains("Not allowed", await response.TextAsync());
        }
        var incident = await _app.Admin.GetJsonAsync($"/api/incidents/{id}");
        Assert.Null(incident["retractedAt"]);
        Assert.True((await _app.Admin.GetJsonAsync($"/api/incidents/{draftId}"))["draft"]!.GetValue<bool>());
        await _app.PageShowsAsync("Viewer can only look");
    }
}
