using System.Text.RegularExpressions;
using CommsHub.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommsHub.BrowserTests.Infrastructure;

/// <summary>
/// A browser signed in to the console as a new operator of a given role: invited through the admin
/// API, password set on the invitation page, signed in at /login, like a person would.
/// </summary>
public static class ConsoleBrowser
{
    public const string Password = "correct horse battery staple";

    /// <summary>Desktop and phone widths for the screenshots every main page saves.</summary>
    public static readonly int[] Widths = [1280, 390];

    /// <param name="role">viewer, responder or admin.</param>
    /// <param name="timeZone">The browser's IANA time zone (the console shows times in it).</param>
    /// <param name="mail">With email really configured (at this SendGrid fake) the invitation arrives by mail instead of in the API's answer.</param>
    public static async Task<IPage> SignInAsync(Chromium chromium, LiveApp app, string role = "admin", string? email = null,
        int width = 1280, ColorScheme scheme = ColorScheme.Light, string timeZone = "Europe/Berlin", SendGridFake? mail = null)
    {
        email ??= $"{role}.{Guid.NewGuid().ToString("N")[..8]}@example.com";
        var created = await app.Admin.PostAsync("/api/operators", new { email, name = $"{char.ToUpperInvariant(role[0])}{role[1..]} Operator", role });
        var invitation = new Uri(created["invitationUrl"]?.GetValue<string>() ?? await MailedInvitationAsync(mail, email));
        var context = await chromium.NewContextAsync(new()
        {
            ViewportSize = new() { Width = width, Height = 900 },
            ColorScheme = scheme,
            TimezoneId = timeZone,
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(app.Url, invitation.PathAndQuery).AbsoluteUri);
        await page.GetByLabel("New password").FillAsync(Password);
        await page.GetByLabel("Repeat the password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Set password and continue" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Your password is set");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(app.Link("/console"));
        return page;
    }

    private static async Task<string> MailedInvitationAsync(SendGridFake? mail, string email)
    {
        Assert.True(mail is not null, "The API gave no invitation link (email is configured): pass the SendGrid fake that receives it.");
        string? link = null;
        await Eventually.HoldsAsync(() =>
        {
            var sent = mail.Requests.LastOrDefault(r => r.Recipients.Contains(email));
            link = sent is null ? null : Regex.Match(sent.Content("text/plain") ?? "", @"https?://\S+/invitation\S*").Value;
            return Task.FromResult(!string.IsNullOrEmpty(link));
        }, $"the invitation to {email} was mailed");
        return link!;
    }

    /// <summary>Saves the page at each of <see cref="Widths"/> as <c>console-{name}-{width}.png</c> and restores the width.</summary>
    public static async Task ScreenshotsAsync(IPage page, string name)
    {
        var size = page.ViewportSize;
        foreach (var width in Widths)
        {
            // The whole page as the viewport rather than a full-page capture: Chromium paints a sandboxed
            // frame (the compose previews) only inside the viewport, so a full-page capture showed them blank.
            await page.SetViewportSizeAsync(width, 900);
            var height = await page.EvaluateAsync<int>("() => document.documentElement.scrollHeight");
            await page.SetViewportSizeAsync(width, Math.Clamp(height, 900, 8000));
            await page.ScreenshotAsync(new() { Path = Artifacts.PathFor($"console-{name}-{width}.png") });
        }
        if (size is not null)
        {
            await page.SetViewportSizeAsync(size.Width, size.Height);
        }
    }
}
