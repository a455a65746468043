using System.Net;
using System.Text;
using CommsHub.Core.Campaigns;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using CommsHub.Tests.Auth;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Console;

/// <summary>The campaigns pages without a browser: the API's services behind each form, the API's audit for each step, and the refusals.</summary>
public sealed class ConsoleCampaignTests : SqliteAppTest
{
    private static async Task<HttpResponseMessage> CreateAsync(ConsoleClient browser, string customers, string? codes, string title = "Sorry, {{ name }}")
    {
        var html = await browser.PageAsync("/console/campaigns/new");
        var form = new MultipartFormDataContent
        {
            { new StringContent("create"), "_handler" },
            { new StringContent(ConsoleClient.HiddenValue(html, "__RequestVerificationToken")!), "__RequestVerificationToken" },
            { new StringContent("compensation"), "kind" },
            { new StringContent("csv"), "audienceSource" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(customers)), "audienceFile", "customers.csv" },
            { new StringContent(codes is null ? "none" : "csv"), "poolSource" },
            { new StringContent("email"), "channels" },
            { new StringContent(title), "title" },
            { new StringContent("Your free week: {{ code }}"), "message" },
            { new StringContent("now"), "when" },
        };
        if (codes is not null)
        {
            form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(codes)), "codesFile", "codes.csv");
        }
        using (form)
        {
            return await browser.Http.PostAsync("/console/campaigns/new", form);
        }
    }

    private static string Location(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        return location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString;
    }

    [Fact]
    public async Task An_admin_creates_and_sends_a_campaign_and_each_step_is_audited_as_the_api_call_it_stands_for()
    {
        var (_, admin) = await App.SignedInOperatorAsync(Admin, "ada@example.com", "admin");
        using var _ = admin;
        using var created = await CreateAsync(admin, "externalId,email,name\nc1,ann@example.com,Ann\nc2,bob@example.com,Bob\n", "code\nW1\nW2\nW3\n");
        var next = Location(created);
        Assert.Matches("^/console/campaigns/[0-9a-f-]{36}\\?notice=created$", next);
        var id = Guid.Parse(next["/console/campaigns/".Length..next.IndexOf('?', StringComparison.Ordinal)]);
        Assert.Contains("Your free week: SAMPLE-CODE", await admin.PageAsync(next), StringComparison.Ordinal);

        var sent = await admin.SubmitRedirectsAsync($"/console/campaigns/{id}?confirm=send", "send", new Dictionary<string, string>());
        Assert.Equal($"/console/campaigns/{id}?notice=sending", sent);
        await Eventually.HoldsAsync(async () => (await Admin.GetJsonAsync($"/api/campaigns/{id}/report"))["codesAssigned"]!.GetValue<int>() == 2, "both members got a code");

        var routes = await WithDbAsync(db => db.AuditEntries.Where(e => e.Actor == "operator:ada@example.com" && e.Action == "admin.post").Select(e => e.Data).ToListAsync());
        Assert.All(routes, data => Assert.Contains("\"via\":\"console\"", data, StringComparison.Ordinal));
        foreach (var route in new[] { "\"/api/audiences/\"", "\"/api/code-pools/\"", "\"/api/campaigns/\"", "\"/api/campaigns/{id:guid}/send\"" })
        {
            Assert.Single(routes, data => data.Contains(route, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_pool_too_small_is_refused_at_send_with_the_reason_and_the_campaign_stays_a_draft()
    {
        var (_, admin) = await App.SignedInOperatorAsync(Admin, "ada@example.com", "admin");
        using var _ = admin;
        using var created = await CreateAsync(admin, "externalId,email\nc1,a@example.com\nc2,b@example.com\n", "code\nONLY\n");
        var id = Location(created)["/console/campaigns/".Length..^"?notice=created".Length];

        using var refused = await admin.SubmitAsync($"/console/campaigns/{id}?confirm=send", "send", new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("The audience has 2 members and the pool 1 free codes.", ConsoleClient.ElementText(await refused.Content.ReadAsStringAsync(), "action-error"), StringComparison.Ordinal);
        Assert.Equal(CampaignStatus.Draft, await WithDbAsync(db => db.Campaigns.Select(c => c.Status).SingleAsync()));
    }

    [Fact]
    public async Task A_responder_s_forged_create_imports_nothing_and_creates_nothing()
    {
        var (_, responder) = await App.SignedInOperatorAsync(Admin, "rita@example.com", "responder");
        using var _ = responder;
        var token = ConsoleClient.HiddenValue(await responder.PageAsync("/console"), "__RequestVerificationToken")!;
        using var form = new MultipartFormDataContent
        {
            { new StringContent("create"), "_handler" },
            { new StringContent(token), "__RequestVerificationToken" },
            { new StringContent("csv"), "audienceSource" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes("externalId,email\nc1,a@example.com\n")), "audienceFile", "customers.csv" },
        };
        using var response = await responder.Http.PostAsync("/console/campaigns/new", form);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, await WithDbAsync(db => db.Audiences.CountAsync()));
    }
}
