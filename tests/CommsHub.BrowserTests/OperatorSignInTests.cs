using System.Text.RegularExpressions;
using CommsHub.BrowserTests.Infrastructure;
using CommsHub.Testing;
using Microsoft.Playwright;
using OtpNet;
using static Microsoft.Playwright.Assertions;

namespace CommsHub.BrowserTests;

/// <summary>Operators in a real browser: invitation, sign-in, two-factor, lockout and sign-out.</summary>
[Collection(BrowserCollection.Name)]
public sealed class OperatorSignInTests(Chromium chromium) : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private LiveApp _app = null!;

    public Task InitializeAsync()
    {
        _app = LiveApp.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<string> InviteAsync(string email, string role = "responder")
    {
        var created = await _app.Admin.PostAsync("/api/operators", new { email, name = "Ana Ops", role });
        return created["invitationUrl"]!.GetValue<string>();
    }

    private async Task<IPage> PageAsync(int width = 1000, ColorScheme scheme = ColorScheme.Light)
    {
        var context = await chromium.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = 900 }, ColorScheme = scheme });
        return await context.NewPageAsync();
    }

    private async Task AcceptInvitationAsync(IPage page, string invitation)
    {
        await page.GotoAsync(new Uri(_app.Url, new Uri(invitation).PathAndQuery).AbsoluteUri);
        await page.GetByLabel("New password").FillAsync(Password);
        await page.GetByLabel("Repeat the password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Set password and continue" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Your password is set");
    }

    private static async Task SubmitPasswordAsync(IPage page, string email, string password)
    {
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    [Fact]
    public async Task An_invited_operator_sets_a_password_signs_in_and_signs_out()
    {
        var invitation = await InviteAsync("ana@example.com");
        var page = await PageAsync();
        await page.GotoAsync(new Uri(_app.Url, new Uri(invitation).PathAndQuery).AbsoluteUri);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Welcome to Acme Status" })).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await page.ScreenshotAsync(new() { Path = Artifacts.PathFor("operator-invitation.png"), FullPage = true });
        await page.GetByLabel("New password").FillAsync(Password);
        await page.GetByLabel("Repeat the password").FillAsync(Password + " typo");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set password and continue" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The two passwords are not the same.");
        await AcceptInvitationAsync(page, invitation);

        await Expect(page).ToHaveURLAsync(new Regex("/login\\?notice=password-set$"));
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await SubmitPasswordAsync(page, "ana@example.com", Password);
        await Expect(page).ToHaveURLAsync(_app.Link("/console"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Signed in as Ana Ops" })).ToBeVisibleAsync();
        await Expect(page.Locator("#role")).ToHaveTextAsync("responder");
        await Expect(page.Locator("#email")).ToHaveTextAsync("ana@example.com");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await page.ScreenshotAsync(new() { Path = Artifacts.PathFor("operator-console.png"), FullPage = true });

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(_app.Link("/login?notice=signed-out"));
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("You are signed out.");
        await page.GotoAsync(_app.Link("/console"));
        await Expect(page).ToHaveURLAsync(_app.Link("/login?returnUrl=%2Fconsole"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Two_factor_is_enrolled_with_a_code_and_then_asked_for_at_sign_in()
    {
        var invitation = await InviteAsync("ana@example.com", "admin");
        var page = await PageAsync();
        await AcceptInvitationAsync(page, invitation);
        await SubmitPasswordAsync(page, "ana@example.com", Password);
        await Expect(page).ToHaveURLAsync(_app.Link("/console"));

        await page.GetByRole(AriaRole.Link, new() { Name = "change" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Two-factor sign-in" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Img, new() { Name = "QR code of the setup key" })).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await page.ScreenshotAsync(new() { Path = Artifacts.PathFor("operator-two-factor.png"), FullPage = true });
        var secret = (await page.Locator("#totp-secret").TextContentAsync())!.Replace(" ", "", StringComparison.Ordinal);
        var totp = new Totp(Base32Encoding.ToBytes(secret));
        await page.GetByLabel("Code from the app").FillAsync(totp.ComputeTotp(DateTime.UtcNow));
        await page.GetByRole(AriaRole.Button, new() { Name = "Turn on two-factor" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Two-factor sign-in is on");

        var other = await PageAsync(390, ColorScheme.Dark);
        await other.GotoAsync(_app.Link("/login"));
        await SubmitPasswordAsync(other, "ana@example.com", Password);
        await Expect(other.GetByRole(AriaRole.Heading, new() { Name = "Enter your code" })).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(other);
        await other.ScreenshotAsync(new() { Path = Artifacts.PathFor("operator-code-390-dark.png"), FullPage = true });
        await other.GetByLabel("Code", new() { Exact = true }).FillAsync("000000");
        await other.GetByRole(AriaRole.Button, new() { Name = "Verify" }).ClickAsync();
        await Expect(other.GetByRole(AriaRole.Alert)).ToContainTextAsync("That code is not right");
        // The code that turned two-factor on is spent; the next step's code is within the accepted window.
        await other.GetByLabel("Code", new() { Exact = true }).FillAsync(totp.ComputeTotp(DateTime.UtcNow.AddSeconds(30)));
        await other.GetByRole(AriaRole.Button, new() { Name = "Verify" }).ClickAsync();
        await Expect(other).ToHaveURLAsync(_app.Link("/console"));
        await Expect(other.GetByRole(AriaRole.Heading, new() { Name = "Signed in as Ana Ops" })).ToBeVisibleAsync();
        await other.ScreenshotAsync(new() { Path = Artifacts.PathFor("operator-console-390-dark.png"), FullPage = true });
        await page.Context.CloseAsync();
        await other.Context.CloseAsync();
    }

    [Fact]
    public async Task Five_wrong_passwords_lock_the_account_and_the_page_says_so()
    {
        var invitation = await InviteAsync("ana@example.com");
        var page = await PageAsync(390);
        await AcceptInvitationAsync(page, invitation);
        for (var i = 1; i <= 4; i++)
        {
            await SubmitPasswordAsync(page, "ana@example.com", "wrong password " + i);
            await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The email or password is not right.");
        }
        await SubmitPasswordAsync(page, "ana@example.com", "wrong password 5");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("This account is locked after too many failed attempts. Try again in 15 minutes");
        await SubmitPasswordAsync(page, "ana@example.com", Password);
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("This account is locked");
        await Expect(page).Not.ToHaveURLAsync(_app.Link("/console"));
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await page.ScreenshotAsync(new() { Path = Artifacts.PathFor("operator-locked-390.png"), FullPage = true });
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData(1000, ColorScheme.Light, "operator-login.png")]
    [InlineData(390, ColorScheme.Light, "operator-login-390.png")]
    [InlineData(1000, ColorScheme.Dark, "operator-login-dark.png")]
    public async Task The_sign_in_page_reads_well_at_desktop_and_phone_widths_in_both_colour_schemes(int width, ColorScheme scheme, string screenshot)
    {
        var page = await PageAsync(width, scheme);
        await page.GotoAsync(_app.Link("/login"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        Assert.Equal(width, await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth"));
        await page.ScreenshotAsync(new() { Path = Artifacts.PathFor(screenshot), FullPage = true });
        await page.Context.CloseAsync();
    }
}
