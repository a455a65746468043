using System.Text;
using System.Text.RegularExpressions;
using CommsHub.BrowserTests.Infrastructure;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CommsHub.BrowserTests;

/// <summary>Campaigns from the console: a customer list and codes uploaded, previewed, sent to the SendGrid fake (SMS to the sandbox), and reported.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class ConsoleCampaignTests(Chromium chromium) : IAsyncLifetime
{
    private const string Customers = "externalId,email,phone,name,locale\nc1,ann@example.com,+1 202 555 0143,Ann,en\nc2,bob@example.com,,Bob,en\nc3,cy@example.com,,Cy,en-US\n";
    private const string Codes = "code\nWEEK-1\nWEEK-2\nWEEK-3\nWEEK-4\n";

    private readonly SendGridFake _sendGrid = new();
    private LiveApp _app = null!;

    public Task InitializeAsync()
    {
        _app = LiveApp.Start(new Dictionary<string, string?>
        {
            ["Channels:Email:SendGrid:ApiKey"] = "SG.test-key",
            ["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url,
            ["Channels:Email:From"] = "Acme Status <status@acme.example>",
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _sendGrid.Dispose();
    }

    private static ILocator Button(IPage page, string name) => page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    private static ILocator Section(IPage page, string name) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Console" }).GetByRole(AriaRole.Link, new() { Name = name, Exact = true });

    private static FilePayload Csv(string name, string text) => new() { Name = name, MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(text) };

    /// <summary>The fake also receives the operators' invitations.</summary>
    private List<SentMail> CampaignMails() =>
        _sendGrid.Requests.Where(r => !r.Recipients.Any(to => to.StartsWith("admin.", StringComparison.Ordinal) || to.StartsWith("responder.", StringComparison.Ordinal))).ToList();

    [GeneratedRegex("/console/campaigns/(?<id>[0-9a-f-]{36})\\?notice=created$")]
    private static partial Regex Created();

    [GeneratedRegex("WEEK-[0-9]")]
    private static partial Regex Code();

    [Fact]
    public async Task An_admin_uploads_customers_and_codes_previews_the_first_recipient_sends_and_reads_the_report()
    {
        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "admin", mail: _sendGrid);
        await Section(page, "Campaigns").ClickAsync();
        await Expect(page).ToHaveURLAsync(_app.Link("/console/campaigns"));
        await Expect(page.Locator("#no-campaigns")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "New campaign" }).ClickAsync();

        await page.GetByLabel("Kind").SelectOptionAsync("compensation");
        await page.GetByLabel("A customer list to upload").CheckAsync();
        await page.GetByLabel("Customer list (CSV").SetInputFilesAsync(Csv("affected.csv", Customers));
        await page.GetByLabel("Codes to upload").CheckAsync();
        await page.GetByLabel("Codes (CSV").SetInputFilesAsync(Csv("codes.csv", Codes));
        await page.GetByLabel("SMS", new() { Exact = true }).CheckAsync();
        await page.GetByLabel("Subject").FillAsync("Sorry, {{ name }}");
        await page.GetByLabel("Message").FillAsync("Hello {{ name }}, your free week: {{ code }}");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await ConsoleBrowser.ScreenshotsAsync(page, "campaign-new");
        await Button(page, "Create draft").ClickAsync();

        await Expect(page).ToHaveURLAsync(Created());
        var id = Guid.Parse(Created().Match(page.Url).Groups["id"].Value);
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The draft is saved");
        await Expect(page.Locator("#report-status")).ToHaveTextAsync("Draft");

        // The preview is the first member (by id) of each medium, with a sample where their code will be. Members
        // imported in the same millisecond have ids in no set order, so the test asks which one is first; only Ann has a phone.
        var first = await _app.WithDbAsync(db => db.Campaigns.Where(c => c.Id == id)
            .SelectMany(c => db.AudienceMembers.Where(m => m.AudienceId == c.AudienceId && m.Email != null)).OrderBy(m => m.Id).FirstAsync());
        var email = page.Locator("[data-medium=email]");
        await Expect(email.Locator(".to")).ToHaveTextAsync(first.Email!);
        await Expect(email.Locator(".subject")).ToHaveTextAsync($"Sorry, {first.Name}");
        await Expect(email.Locator("pre")).ToHaveTextAsync($"Hello {first.Name}, your free week: SAMPLE-CODE");
        var sms = page.Locator("[data-medium=sms]");
        await Expect(sms.Locator(".to")).ToHaveTextAsync("+12025550143");
        await Expect(sms.Locator("pre")).ToHaveTextAsync("Hello Ann, your free week: SAMPLE-CODE");
        await Expect(page.Locator("#report-audience")).ToHaveTextAsync("3");
        var header = page.Locator("#campaign-header");
        await Expect(header.Locator("#campaign-status")).ToHaveTextAsync("Draft");
        await Expect(header.Locator("#campaign-codes")).ToHaveTextAsync("4 in the pool, 4 free");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await ConsoleBrowser.ScreenshotsAsync(page, "campaign-draft");
        Assert.Empty(CampaignMails());

        // Sending asks first, as every action that cannot be undone.
        await page.GetByRole(AriaRole.Link, new() { Name = "Send…" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Send this campaign now?" })).ToBeVisibleAsync();
        Assert.Empty(CampaignMails());
        await Button(page, "Yes, send to 3 members").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("Sending");
        // Gone if the page were reloaded: what follows happens in this one page.
        await page.EvaluateAsync("() => { window.sameCampaignPage = true; }");

        // The header follows it without a reload too: status, codes, and no more Cancel once it is sent.
        await Expect(header).ToHaveAttributeAsync("data-status", "sent", new() { Timeout = 30_000 });
        await Expect(header.Locator("#campaign-status")).ToHaveTextAsync("Sent");
        await Expect(header.Locator("#campaign-codes")).ToHaveTextAsync("4 in the pool, 1 free, 3 assigned to it", new() { Timeout = 30_000 });
        await Expect(header.Locator("#campaign-sent-at")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Cancel the campaign…" })).ToHaveCountAsync(0);

        // The live report follows it to the end without a reload.
        var report = page.Locator("#campaign-report");
        await Expect(report).ToHaveAttributeAsync("data-status", "sent", new() { Timeout = 30_000 });
        await Expect(report.Locator("li:has(progress[data-channel=email]) .pct")).ToHaveTextAsync("100 %", new() { Timeout = 30_000 });
        await Expect(report.Locator("li:has(progress[data-channel=sms]) .pct")).ToHaveTextAsync("100 %", new() { Timeout = 30_000 });
        await Expect(report).ToHaveAttributeAsync("data-live-done", "");
        await Expect(page.Locator("#report-codes")).ToHaveTextAsync("3");
        await Expect(page.Locator("#report-redeemed")).ToHaveTextAsync("0");
        await Expect(page.Locator("#report-channels")).ToContainTextAsync("sandboxed");
        await Expect(header).ToHaveAttributeAsync("data-live-done", "");
        Assert.True(await page.EvaluateAsync<bool>("() => window.sameCampaignPage === true"), "the page was reloaded");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await ConsoleBrowser.ScreenshotsAsync(page, "campaign-sent");

        // What reached SendGrid: each customer once, each with a code of their own, the same code as in the SMS.
        var mails = CampaignMails();
        Assert.Equal(["ann@example.com", "bob@example.com", "cy@example.com"], mails.SelectMany(m => m.Recipients).Order());
        var sent = Code().Matches(string.Concat(mails.Select(m => m.Body.ToJsonString()))).Select(m => m.Value).Distinct().ToList();
        Assert.Equal(3, sent.Count);
        var codes = await _app.WithDbAsync(db => (from c in db.CampaignCodes
                                                 join p in db.PoolCodes on c.CodeId equals p.Id
                                                 join m in db.AudienceMembers on c.MemberId equals m.Id
                                                 where c.CampaignId == id
                                                 select new { m.ExternalId, p.Code }).ToDictionaryAsync(x => x.ExternalId, x => x.Code));
        Assert.Equal(sent.Order(), codes.Values.Order());
        var smsStatus = await _app.WithDbAsync(db => db.Deliveries.Where(d => d.UpdateId == id && d.Channel == Core.Common.Channel.Sms).Select(d => d.Status).SingleAsync());
        Assert.Equal(Core.Common.DeliveryStatus.Sandboxed, smsStatus);

        // Once codes are assigned, the preview shows the first recipient's own, in the same page, and stops looking.
        await Expect(email.Locator("pre")).ToHaveTextAsync($"Hello {first.Name}, your free week: {codes[first.ExternalId]}");
        await Expect(sms.Locator("pre")).ToHaveTextAsync($"Hello Ann, your free week: {codes["c1"]}");
        await Expect(page.Locator("#campaign-preview")).ToHaveAttributeAsync("data-live-done", "");
        Assert.True(await page.EvaluateAsync<bool>("() => window.sameCampaignPage === true"), "the page was reloaded");

        await page.GotoAsync(_app.Link("/console/campaigns"));
        var row = page.Locator($"#campaigns tr[data-id=\"{id}\"]");
        await Expect(row).ToContainTextAsync("Sorry, {{ name }}");
        await Expect(row.Locator("[data-label=Status]")).ToHaveTextAsync("Sent");
        await Expect(row.Locator("[data-label='Messages sent']")).ToHaveTextAsync("4");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await ConsoleBrowser.ScreenshotsAsync(page, "campaigns");
    }

    [Fact]
    public async Task Field_errors_and_a_bad_line_report_are_shown_and_nothing_is_created_until_they_are_dealt_with()
    {
        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "admin", mail: _sendGrid);
        await page.GotoAsync(_app.Link("/console/campaigns/new"));

        // The service's own validation, field by field: no subject, no audience chosen.
        await page.GetByLabel("A list imported before").CheckAsync();
        await page.GetByLabel("Message").FillAsync("Hello {{ name }}");
        await Button(page, "Create draft").ClickAsync();
        await Expect(page.Locator("#title-error")).ToContainTextAsync("is required");
        await Expect(page.GetByLabel("Subject")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Locator("#audience-error")).ToContainTextAsync("Choose who receives it");
        await Expect(page.Locator("#form-error")).ToContainTextAsync("Subject: is required");
        // What was typed is kept.
        await Expect(page.GetByLabel("Message")).ToHaveValueAsync("Hello {{ name }}");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await ConsoleBrowser.ScreenshotsAsync(page, "campaign-errors");

        // A pool with a repeated code is refused whole; the customer list keeps its good lines and reports the bad one.
        await page.GetByLabel("A customer list to upload").CheckAsync();
        await page.GetByLabel("Customer list (CSV").SetInputFilesAsync(Csv("affected.csv", "externalId,email,name\nc1,ann@example.com,Ann\nc2,not-an-email,Bob\n"));
        await page.GetByLabel("Codes to upload").CheckAsync();
        await page.GetByLabel("Codes (CSV").SetInputFilesAsync(Csv("codes.csv", "code\nA1\nA1\n"));
        await page.GetByLabel("Subject").FillAsync("Sorry, {{ name }}");
        await Button(page, "Create draft").ClickAsync();
        await Expect(page.Locator("#codes-file-error")).ToContainTextAsync("line 3");
        await Expect(page.Locator("#rejected tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#rejected tbody tr td").First).ToHaveTextAsync("3");
        // The good lines are imported once and chosen, so the operator goes on without uploading them again.
        await Expect(page.GetByLabel("A list imported before")).ToBeCheckedAsync();
        await Expect(page.GetByLabel("Imported list")).ToContainTextAsync("1 members");
        Assert.Equal(0, await _app.WithDbAsync(db => db.Campaigns.CountAsync()));
        Assert.Equal(0, await _app.WithDbAsync(db => db.CodePools.CountAsync(p => p.Count > 0)));

        await page.GetByLabel("No codes").CheckAsync();
        await Button(page, "Create draft").ClickAsync();
        await Expect(page).ToHaveURLAsync(Created());
        Assert.Equal(1, await _app.WithDbAsync(db => db.Audiences.CountAsync(a => a.Count > 0)));
        await Expect(page.Locator("[data-medium=email] .subject")).ToHaveTextAsync("Sorry, Ann");
    }

    [Fact]
    public async Task A_responder_has_no_campaigns_section_and_its_pages_and_forms_answer_403()
    {
        var list = await _app.WithDbAsync(async db =>
        {
            var audience = new Core.Campaigns.Audience { Source = "csv", Count = 0, CreatedAt = DateTimeOffset.UtcNow };
            db.Audiences.Add(audience);
            var campaign = new Core.Campaigns.Campaign { Title = "Sorry", Message = "Hi", AudienceId = audience.Id, Channels = [Core.Common.Channel.Email], CreatedAt = DateTimeOffset.UtcNow };
            db.Campaigns.Add(campaign);
            await db.SaveChangesAsync();
            return campaign.Id;
        });
        var page = await ConsoleBrowser.SignInAsync(chromium, _app, "responder", mail: _sendGrid);
        await Expect(Section(page, "Compose")).ToBeVisibleAsync();
        await Expect(Section(page, "Campaigns")).ToHaveCountAsync(0);
        var token = await page.Locator("input[name=__RequestVerificationToken]").First.InputValueAsync();

        foreach (var path in new[] { "/console/campaigns", "/console/campaigns/new", $"/console/campaigns/{list}", $"/console/fragments/campaigns/{list}/report", $"/console/fragments/campaigns/{list}/preview" })
        {
            var response = await page.GotoAsync(_app.Link(path));
            Assert.Equal(403, response!.Status);
        }
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();

        var form = page.APIRequest.CreateFormData();
        form.Set("__RequestVerificationToken", token);
        form.Set("_handler", "send");
        var posted = await page.APIRequest.PostAsync(_app.Link($"/console/campaigns/{list}"), new() { Form = form, MaxRedirects = 0 });
        Assert.Equal(403, posted.Status);
        Assert.Equal(Core.Campaigns.CampaignStatus.Draft, await _app.WithDbAsync(db => db.Campaigns.Where(c => c.Id == list).Select(c => c.Status).SingleAsync()));
    }
}
