using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CommsHub.BrowserTests.Infrastructure;
using CommsHub.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommsHub.BrowserTests;

/// <summary>Writing, previewing and sending incidents, updates and corrections from the console's compose page.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class ConsoleComposeTests(Chromium chromium) : IAsyncLifetime
{
    private LiveApp _app = null!;

    public Task InitializeAsync()
    {
        _app = LiveApp.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static ILocator Medium(IPage page, string name) => page.Locator($"#preview [data-medium=\"{name}\"]");

    private static ILocator Button(IPage page, string name) => page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    [GeneratedRegex("/console/incidents/(?<id>[0-9a-f-]{36})\\?notice=(?<notice>[a-z-]+)$")]
    private static partial Regex Redirected();

    private static string IncidentIdFrom(IPage page, string notice)
    {
        var match = Redirected().Match(page.Url);
        Assert.True(match.Success, $"not redirected to an incident page: {page.Url}");
        Assert.Equal(notice, match.Groups["notice"].Value);
        return match.Groups["id"].Value;
    }

    [Fact]
    public async Task The_preview_follows_the_typing_warns_before_sending_and_publish_creates_the_incident()
    {
        var componentId = await _app.Admin.CreateComponentAsync("Checkout API");
        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "responder");
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Console" }).GetByRole(AriaRole.Link, new() { Name = "Compose" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(_app.Link("/console/compose"));

        await page.GetByLabel("Title").FillAsync("Checkout errors");
        await page.GetByLabel("Message").PressSequentiallyAsync("Some payments fail.");
        await Expect(Medium(page, "sms").Locator("pre")).ToContainTextAsync("Some payments fail.");
        await Expect(Medium(page, "email").Locator(".subject")).ToContainTextAsync("Checkout errors");
        await Expect(Medium(page, "webhook")).ToContainTextAsync("Some payments fail.");
        await Expect(page.FrameLocator("[data-medium=\"status-page\"] iframe").Locator("h1")).ToHaveTextAsync("Checkout errors");
        // Nobody is subscribed yet.
        await Expect(page.Locator("#preview-warnings")).ToContainTextAsync("No confirmed subscriber would receive this");

        await page.GetByLabel("Impact").SelectOptionAsync("major");
        await Expect(page.Locator("#preview-warnings")).ToContainTextAsync("no component is chosen");

        var sentence = "Card payments in Europe are declined by the processor and we are routing them elsewhere. ";
        await page.GetByLabel("Message").FillAsync(string.Concat(Enumerable.Repeat(sentence, 6)) + "The final words are here.");
        await Expect(page.Locator("#preview-warnings")).ToContainTextAsync("The SMS is cut short");
        await Expect(Medium(page, "sms").Locator(".cut")).ToContainTextAsync("The final words are here.");

        await page.GetByLabel("Checkout API").SelectOptionAsync("partial_outage");
        await Expect(page.Locator("#preview-warnings")).Not.ToContainTextAsync("no component is chosen");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await ConsoleBrowser.ScreenshotsAsync(page, "compose");

        await Button(page, "Publish now").ClickAsync();
        await Expect(page).ToHaveURLAsync(Redirected());
        var id = IncidentIdFrom(page, "published");
        var incident = await _app.Admin.GetJsonAsync($"/api/incidents/{id}");
        Assert.Equal("Checkout errors", incident["title"]!.GetValue<string>());
        Assert.False(incident["draft"]!.GetValue<bool>());
        Assert.Equal("major", incident["impact"]!.GetValue<string>());
        Assert.Equal(componentId, incident["components"]![0]!["id"]!.GetValue<string>());
        var update = Assert.Single(incident["updates"]!.AsArray());
        Assert.EndsWith("The final words are here.", update!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_field_left_empty_is_marked_next_to_the_field_and_nothing_is_created()
    {
        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "responder");
        await page.GotoAsync(_app.Link("/console/compose"));
        await page.GetByLabel("Message").FillAsync("Something is wrong.");
        await Button(page, "Publish now").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Nothing was sent or saved");
        await Expect(page.Locator("#title-error")).ToContainTextAsync("title is required");
        await Expect(page.GetByLabel("Title")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.GetByLabel("Message")).ToHaveValueAsync("Something is wrong.");
        Assert.Empty((await _app.Admin.GetJsonAsync("/api/incidents")).AsArray());
    }

    [Fact]
    public async Task A_draft_is_saved_without_publishing_and_an_update_is_scheduled()
    {
        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "responder");
        await page.GotoAsync(_app.Link("/console/compose"));
        await page.GetByLabel("Title").FillAsync("Planned words");
        await page.GetByLabel("Message").FillAsync("Not yet public.");
        await Button(page, "Save as draft").ClickAsync();
        await Expect(page).ToHaveURLAsync(Redirected());
        var draftId = IncidentIdFrom(page, "draft-saved");
        var draft = await _app.Admin.GetJsonAsync($"/api/incidents/{draftId}");
        Assert.True(draft["draft"]!.GetValue<bool>());
        Assert.Empty(draft["updates"]!.AsArray());
        Assert.Equal("Not yet public.", draft["draftUpdate"]!["message"]!.GetValue<string>());

        var id = await _app.PublishIncidentAsync("Slow search", "Searches take long.");
        await page.GotoAsync(_app.Link($"/console/compose?incident={id}"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Post an update" })).ToBeVisibleAsync();
        await page.GetByLabel("Message").FillAsync("We expect a fix within the hour.");
        // The publish time starts an hour from now, in the operator's zone.
        await Expect(page.GetByLabel(new Regex("^Publish at"))).Not.ToHaveValueAsync("");
        await Button(page, "Schedule").ClickAsync();
        await Expect(page).ToHaveURLAsync(Redirected());
        Assert.Equal(id, IncidentIdFrom(page, "scheduled"));
        var scheduled = Assert.Single((await _app.Admin.GetJsonAsync($"/api/incidents/{id}/scheduled-updates")).AsArray());
        Assert.Equal("We expect a fix within the hour.", scheduled!["request"]!["message"]!.GetValue<string>());
        var publishAt = scheduled["publishAt"]!.GetValue<DateTimeOffset>();
        Assert.InRange(publishAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(50), TimeSpan.FromMinutes(61));
        Assert.Single((await _app.Admin.GetJsonAsync($"/api/incidents/{id}"))["updates"]!.AsArray());
    }

    [Fact]
    public async Task An_update_is_corrected_through_compose()
    {
        var id = await _app.PublishIncidentAsync("Video playback fails", "Viewers in Europe cannot start videos.");
        var updateId = (await _app.Admin.GetJsonAsync($"/api/incidents/{id}"))["updates"]![0]!["id"]!.GetValue<string>();
        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "responder");
        await page.GotoAsync(_app.Link($"/console/compose?incident={id}&correct={updateId}"));
        var text = page.GetByRole(AriaRole.Textbox, new() { Name = "Corrected text" });
        await Expect(text).ToHaveValueAsync("Viewers in Europe cannot start videos.");
        await text.FillAsync("Viewers in Europe and Asia cannot start videos.");
        var statusPage = page.FrameLocator("[data-medium=\"status-page\"] iframe");
        await Expect(statusPage.Locator(".update")).ToContainTextAsync("Europe and Asia");
        await Expect(statusPage.Locator(".update .edited")).ToContainTextAsync("edited");
        await page.Locator("#notify").CheckAsync();
        await Expect(Medium(page, "sms").Locator("pre")).ToContainTextAsync("Correction: Viewers in Europe and Asia");

        await Button(page, "Save correction").ClickAsync();
        await Expect(page).ToHaveURLAsync(Redirected());
        Assert.Equal(id, IncidentIdFrom(page, "corrected"));
        var incident = await _app.Admin.GetJsonAsync($"/api/incidents/{id}");
        var updates = incident["updates"]!.AsArray().Select(u => u!).ToList();
        var original = updates.Single(u => u["id"]!.GetValue<string>() == updateId);
        Assert.Equal("Viewers in Europe and Asia cannot start videos.", original["message"]!.GetValue<string>());
        Assert.NotNull(original["editedAt"]);
        // Sent as a correction of its own, off the public timeline.
        Assert.Contains(updates, u => u["correctionOf"]?.GetValue<string>() == updateId);
    }

    [Fact]
    public async Task An_incident_is_composed_and_published_with_the_keyboard_only()
    {
        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "responder");
        await page.GotoAsync(_app.Link("/console/compose"));
        await TabToAsync(page, "#title-input");
        await page.Keyboard.TypeAsync("Login is slow");
        await TabToAsync(page, "#message");
        await page.Keyboard.TypeAsync("Signing in takes up to a minute.");
        await Expect(Medium(page, "sms").Locator("pre")).ToContainTextAsync("Signing in takes up to a minute.");
        await TabToAsync(page, "button[value=publish]");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page).ToHaveURLAsync(Redirected());
        var id = IncidentIdFrom(page, "published");
        var incident = await _app.Admin.GetJsonAsync($"/api/incidents/{id}");
        Assert.Equal("Login is slow", incident["title"]!.GetValue<string>());
        Assert.Equal("Signing in takes up to a minute.", Assert.Single(incident["updates"]!.AsArray())!["message"]!.GetValue<string>());
    }

    /// <summary>
    /// axe on the page with its preview shown, frames left out: the preview's frames are sandboxed
    /// without script, so axe cannot run inside them (their pages, the email and the status page, are checked where they are made).
    /// </summary>
    /// <summary>Presses Tab until the element is focused (the page's tab order, as a keyboard user walks it).</summary>
    private static async Task TabToAsync(IPage page, string selector)
    {
        for (var i = 0; i < 60; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<bool>("s => document.activeElement?.matches(s) === true", selector))
            {
                return;
            }
        }
        Assert.Fail($"{selector} was not reached with Tab");
    }

    [Fact]
    public async Task A_viewer_has_no_compose_control_and_a_posted_compose_form_is_refused()
    {
        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "viewer");
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Console" }).GetByRole(AriaRole.Link, new() { Name = "Compose" })).ToHaveCountAsync(0);
        // A token the viewer legitimately holds: the sign-out form's on a page they can see.
        var token = await page.Locator("input[name=__RequestVerificationToken]").First.InputValueAsync();

        var opened = await page.GotoAsync(_app.Link("/console/compose"));
        Assert.Equal(403, opened!.Status);
        await Expect(Button(page, "Publish now")).ToHaveCountAsync(0);

        var form = page.APIRequest.CreateFormData();
        form.Set("__RequestVerificationToken", token);
        form.Set("_handler", "compose");
        form.Set("title", "Viewer incident");
        form.Set("message", "Should never exist.");
        form.Set("action", "publish");
        var posted = await page.APIRequest.PostAsync(_app.Link("/console/compose"), new() { Form = form, MaxRedirects = 0 });
        Assert.Equal(403, posted.Status);
        var previewed = await page.APIRequest.PostAsync(_app.Link("/console/compose/preview"), new() { Form = form, MaxRedirects = 0 });
        Assert.Equal(403, previewed.Status);
        Assert.Empty((await _app.Admin.GetJsonAsync("/api/incidents")).AsArray());
        Assert.Empty((await _app.Admin.GetJsonAsync("/api/incidents?state=draft")).AsArray());
    }
}
