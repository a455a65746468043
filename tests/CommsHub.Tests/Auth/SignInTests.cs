using CommsHub.Testing;
using System.Net;
using CommsHub.Core.Auth.Operators;
using Microsoft.EntityFrameworkCore;
using OtpNet;

namespace CommsHub.Tests.Auth;

public sealed class SignInTests : OperatorAppTest
{
    private static Dictionary<string, string> Login(string email, string password) => new() { ["Input.Email"] = email, ["Input.Password"] = password };

    [Fact]
    public async Task An_invited_operator_sets_a_password_through_the_emailed_link_and_signs_in()
    {
        await Admin.PostAsync("/api/operators", new { email = "ana@example.com", name = "Ana Ops", role = "responder" });
        var (mail, to) = Assert.Single(await Emails.SentAsync(1));
        Assert.Equal("ana@example.com", to);
        Assert.Contains("responder", mail.Text);
        var link = await Emails.LinkToAsync("ana@example.com");
        Assert.StartsWith("/invitation?token=", link);

        using var browser = new ConsoleClient(App);
        await browser.PageAsync("/console", HttpStatusCode.Redirect);
        var form = await browser.PageAsync(link);
        await browser.SetPasswordAsync(link, OperatorAccounts.Password);
        // The same form sent again (a double click, a back button): the link is spent.
        Assert.Contains("has expired or has already been used", await browser.SubmitShowsAsync(link, "set-password", new Dictionary<string, string>
        {
            ["Input.Token"] = ConsoleClient.HiddenValue(form, "Input.Token")!, ["Input.Password"] = "another long password", ["Input.Confirmation"] = "another long password",
        }, form));
        Assert.Equal("/console", await browser.SignInAsync("ANA@example.com", OperatorAccounts.Password));

        var console = await browser.PageAsync("/console");
        Assert.Contains("Signed in as Ana Ops", console);
        Assert.Equal("responder", ConsoleClient.ElementText(console, "role"));
        var op = await WithDbAsync(db => db.Operators.SingleAsync());
        Assert.Equal(Clock.GetUtcNow(), op.LastSignInAt);
        Assert.StartsWith("AQAAAA", op.PasswordHash); // Identity's v3 format, never the password
        var audited = await WithDbAsync(db => db.AuditEntries.Where(e => e.Actor == "operator:ana@example.com").Select(e => e.Action).ToListAsync());
        Assert.Equal(["operator.password_set", "operator.signed_in"], audited.Order().ToList());
        Assert.Contains("has expired or has already been used", await browser.PageAsync(link));
    }

    [Theory]
    [InlineData("short pass", "at least 12 characters")]
    [InlineData("ana@example.com", "Do not use your email address")]
    public async Task A_password_that_breaks_the_rules_is_refused_and_the_link_still_works(string password, string reason)
    {
        await Admin.PostAsync("/api/operators", new { email = "ana@example.com", name = "Ana Ops", role = "viewer" });
        var link = await Emails.LinkToAsync("ana@example.com");
        using var browser = new ConsoleClient(App);
        var html = await browser.PageAsync(link);
        var fields = new Dictionary<string, string>
        {
            ["Input.Token"] = ConsoleClient.HiddenValue(html, "Input.Token")!, ["Input.Password"] = password, ["Input.Confirmation"] = password,
        };
        Assert.Contains(reason, await browser.SubmitShowsAsync(link, "set-password", fields, html));
        fields["Input.Password"] = OperatorAccounts.Password;
        fields["Input.Confirmation"] = OperatorAccounts.Password + "!";
        Assert.Contains("not the same", await browser.SubmitShowsAsync(link, "set-password", fields));
        Assert.Null(await WithDbAsync(db => db.Operators.Select(o => o.PasswordHash).SingleAsync()));
        await browser.SetPasswordAsync(link, OperatorAccounts.Password);
    }

    [Fact]
    public async Task Five_failures_lock_the_account_for_fifteen_minutes_even_against_the_right_password()
    {
        var (_, first) = await SignedInAsync("ana@example.com");
        first.Dispose();
        using var browser = new ConsoleClient(App);
        for (var i = 1; i <= 4; i++)
        {
            var page = await browser.SubmitShowsAsync("/login", "login", Login("ana@example.com", "wrong password " + i));
            Assert.Contains("The email or password is not right.", page);
        }
        Assert.Contains("This account is locked after too many failed attempts. Try again in 15 minutes",
            await browser.SubmitShowsAsync("/login", "login", Login("ana@example.com", "wrong password 5")));
        // As Identity answers: locked is locked, whatever the password.
        Assert.Contains("This account is locked", await browser.SubmitShowsAsync("/login", "login", Login("ana@example.com", OperatorAccounts.Password)));
        // An unknown address is never "locked": the answer does not tell who has an account.
        Assert.Contains("The email or password is not right.", await browser.SubmitShowsAsync("/login", "login", Login("bob@example.com", "x")));
        var locked = await WithDbAsync(db => db.Operators.SingleAsync());
        Assert.Equal(Clock.GetUtcNow() + OperatorRules.LockoutDuration, locked.LockoutEnd);
        Assert.Equal(1, await WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "operator.locked_out" && e.Subject == locked.Id.ToString())));

        Clock.Advance(TimeSpan.FromMinutes(14));
        Assert.Contains("Try again in 1 minute,", await browser.SubmitShowsAsync("/login", "login", Login("ana@example.com", OperatorAccounts.Password)));
        Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("/console", await browser.SignInAsync("ana@example.com", OperatorAccounts.Password));
        var after = await WithDbAsync(db => db.Operators.SingleAsync());
        Assert.Equal(0, after.AccessFailedCount);
        Assert.Null(after.LockoutEnd);
    }

    [Fact]
    public async Task Too_many_failures_from_one_client_are_answered_429_before_any_password_is_checked()
    {
        var (_, first) = await SignedInAsync("ana@example.com");
        first.Dispose();
        using var browser = new ConsoleClient(App);
        // Different unknown addresses: no account locks, only the client's tally grows.
        for (var i = 1; i <= 10; i++)
        {
            Assert.Contains("not right", await browser.SubmitShowsAsync("/login", "login", Login($"guess{i}@example.com", "password guess " + i)));
        }
        using (var refused = await browser.SubmitAsync("/login", "login", Login("ana@example.com", OperatorAccounts.Password)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal(TimeSpan.FromMinutes(5), refused.Headers.RetryAfter!.Delta);
            Assert.Contains("Too many failed sign-ins from your network. Try again in 300 seconds.", await refused.Content.ReadAsStringAsync());
        }
        Assert.Equal(1, await WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "operator.signed_in")));
        Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal("/console", await browser.SignInAsync("ana@example.com", OperatorAccounts.Password));
    }

    [Fact]
    public async Task With_two_factor_on_sign_in_needs_a_code_and_each_code_works_once()
    {
        var (_, browser) = await SignedInAsync("ana@example.com");
        using var _ = browser;
        var page = await browser.PageAsync("/account/two-factor");
        var secret = ConsoleClient.ElementText(page, "totp-secret")!.Replace(" ", "", StringComparison.Ordinal);
        Assert.Contains("otpauth://totp/", page);
        Assert.Contains("<svg", page);
        var totp = new Totp(Base32Encoding.ToBytes(secret));
        string CodeAt(TimeSpan offset) => totp.ComputeTotp((Clock.GetUtcNow() + offset).UtcDateTime);

        Assert.Contains("not right", await browser.SubmitShowsAsync("/account/two-factor", "two-factor-on", new Dictionary<string, string> { ["Input.Code"] = "000000" }));
        var enabled = await browser.SubmitShowsAsync("/account/two-factor", "two-factor-on", new Dictionary<string, string> { ["Input.Code"] = CodeAt(TimeSpan.Zero) });
        Assert.Contains("Two-factor sign-in is on", enabled);
        // The stamp changed; this session was re-issued with it and still works.
        await browser.PageAsync("/console");

        using var other = new ConsoleClient(App);
        var codeStep = await other.SubmitShowsAsync("/login", "login", Login("ana@example.com", OperatorAccounts.Password));
        Assert.Contains("Enter your code", codeStep);
        await other.PageAsync("/console", HttpStatusCode.Redirect);
        var pending = ConsoleClient.HiddenValue(codeStep, "Code.Pending")!;
        Dictionary<string, string> Code(string code) => new() { ["Code.Pending"] = pending, ["Code.Code"] = code };

        // The code that turned two-factor on is spent.
        Assert.Contains("used already", await other.SubmitShowsAsync("/login", "two-factor", Code(CodeAt(TimeSpan.Zero)), codeStep));
        Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal("/console", await other.SubmitRedirectsAsync("/login", "two-factor", Code(CodeAt(TimeSpan.Zero)), codeStep));
        await other.PageAsync("/console");

        // The same code again, from another browser within its window: refused.
        using var third = new ConsoleClient(App);
        var thirdStep = await third.SubmitShowsAsync("/login", "login", Login("ana@example.com", OperatorAccounts.Password));
        var thirdPending = ConsoleClient.HiddenValue(thirdStep, "Code.Pending")!;
        Assert.Contains("used already", await third.SubmitShowsAsync("/login", "two-factor",
            new Dictionary<string, string> { ["Code.Pending"] = thirdPending, ["Code.Code"] = CodeAt(TimeSpan.Zero) }, thirdStep));

        // The step between password and code does not last.
        Clock.Advance(OperatorRules.TwoFactorStepLifetime + TimeSpan.FromSeconds(1));
        Assert.Contains("took too long", await third.SubmitShowsAsync("/login", "two-factor",
            new Dictionary<string, string> { ["Code.Pending"] = thirdPending, ["Code.Code"] = CodeAt(TimeSpan.Zero) }, thirdStep));
    }

    [Fact]
    public async Task A_reset_link_works_once_and_only_for_an_hour_and_the_page_never_tells_who_has_an_account()
    {
        var (_, browser) = await SignedInAsync("ana@example.com");
        browser.Dispose();
        using var visitor = new ConsoleClient(App);
        var forUnknown = await visitor.SubmitShowsAsync("/forgot-password", "forgot-password", new Dictionary<string, string> { ["Input.Email"] = "nobody@example.com" });
        var forKnown = await visitor.SubmitShowsAsync("/forgot-password", "forgot-password", new Dictionary<string, string> { ["Input.Email"] = "ana@example.com" });
        Assert.Equal(forUnknown.Replace("nobody@example.com", "ana@example.com", StringComparison.Ordinal), forKnown);
        // The invitation, then the reset link; nothing to the unknown address.
        var expired = await Emails.LinkToAsync("ana@example.com", 2);
        Assert.DoesNotContain(Emails.Sent, s => s.To == "nobody@example.com");
        Assert.StartsWith("/reset-password?token=", expired);
        Clock.Advance(OperatorRules.ResetLifetime + TimeSpan.FromSeconds(1));
        Assert.Contains("has expired or has already been used", await visitor.PageAsync(expired));

        await visitor.SubmitShowsAsync("/forgot-password", "forgot-password", new Dictionary<string, string> { ["Input.Email"] = "ana@example.com" });
        var link = await Emails.LinkToAsync("ana@example.com", 3);
        const string newPassword = "a brand new passphrase";
        await visitor.SetPasswordAsync(link, newPassword);
        Assert.Contains("has expired or has already been used", await visitor.PageAsync(link));
        Assert.Contains("not right", await visitor.SubmitShowsAsync("/login", "login", Login("ana@example.com", OperatorAccounts.Password)));
        Assert.Equal("/console", await visitor.SignInAsync("ana@example.com", newPassword));
    }

    [Theory]
    [InlineData("https://evil.example/console", "/console")]
    [InlineData("//evil.example/console", "/console")]
    [InlineData("/\\evil.example", "/console")]
    [InlineData("/console/incidents?state=open", "/console/incidents?state=open")]
    public async Task After_sign_in_only_a_local_return_address_is_followed(string returnUrl, string expected)
    {
        var (_, first) = await SignedInAsync("ana@example.com");
        first.Dispose();
        using var browser = new ConsoleClient(App);
        Assert.Equal(expected, await browser.SignInAsync("ana@example.com", OperatorAccounts.Password, "/login?returnUrl=" + Uri.EscapeDataString(returnUrl)));
    }

    [Fact]
    public async Task Console_paths_send_a_visitor_without_a_session_to_sign_in()
    {
        using var anonymous = new ConsoleClient(App);
        foreach (var path in new[] { "/console", "/console/incidents/42", "/account/two-factor" })
        {
            using var response = await anonymous.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/login?returnUrl=" + Uri.EscapeDataString(path), response.Headers.Location!.PathAndQuery);
        }
        var (_, browser) = await SignedInAsync("ana@example.com");
        using var _ = browser;
        await browser.PageAsync("/console/incidents/42", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Signing_out_takes_a_form_post_with_the_antiforgery_token()
    {
        var (_, browser) = await SignedInAsync("ana@example.com");
        using var _ = browser;
        using (var forged = await browser.Http.PostAsync("/logout", new FormUrlEncodedContent(new Dictionary<string, string> { ["_handler"] = "logout" })))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        }
        await browser.PageAsync("/console");
        Assert.Equal("/login?notice=signed-out", await browser.SubmitRedirectsAsync("/logout", "logout", new Dictionary<string, string>()));
        await browser.PageAsync("/console", HttpStatusCode.Redirect);
        Assert.Contains("You are signed out.", await browser.PageAsync("/login?notice=signed-out"));
    }

    [Fact]
    public async Task The_console_page_s_sign_out_button_signs_out()
    {
        var (_, browser) = await SignedInAsync("ana@example.com");
        using var _ = browser;
        using var response = await browser.SubmitAsync("/logout", "logout", new Dictionary<string, string>(), await browser.PageAsync("/console"));
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{(int)response.StatusCode}: {response.Headers} {await response.Content.ReadAsStringAsync()}");
        Assert.EndsWith("/login?notice=signed-out", response.Headers.Location!.OriginalString);
        await browser.PageAsync("/console", HttpStatusCode.Redirect);
    }

    [Fact]
    public async Task Every_form_refuses_a_post_without_the_antiforgery_token()
    {
        await Admin.PostAsync("/api/operators", new { email = "ana@example.com", name = "Ana Ops", role = "viewer" });
        using var browser = new ConsoleClient(App);
        foreach (var (path, form) in new[] { ("/login", "login"), ("/forgot-password", "forgot-password"), ("/invitation", "set-password") })
        {
            using var response = await browser.Http.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = form, ["Input.Email"] = "ana@example.com", ["Input.Password"] = "x",
            }));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        // Only the invitation was asked for: its delivery is the one message queued.
        await Emails.SentAsync(1);
        Assert.Equal(1, await WithDbAsync(db => db.Deliveries.CountAsync()));
        Assert.Single(Emails.Sent);
    }
}
