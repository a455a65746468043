using System.Net;
using System.Text;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using CommsHub.Tests.Auth;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Console;

/// <summary>Subscribers, deliveries and audit are personal data and the log: a responder (no subscribers scope) opens none of it and changes none of it.</summary>
public sealed class RecordPagesAccessTests : SqliteAppTest
{
    [Fact]
    public async Task A_responder_gets_403_on_every_records_page_and_export_and_a_forged_import_or_erase_changes_nothing()
    {
        var existing = await Admin.PostAsync("/api/subscribers", new { email = "kept@example.com", confirmed = true }, HttpStatusCode.Created);
        var id = existing["id"]!.GetValue<string>();
        var (_, browser) = await App.SignedInOperatorAsync(Admin, "responder@example.com", "responder");
        using var _ = browser;

        foreach (var path in new[]
                 {
                     "/console/subscribers", "/console/subscribers?q=kept", "/console/subscribers/export.csv", "/console/deliveries",
                     $"/console/deliveries/{Guid.CreateVersion7()}", "/console/audit", "/console/audit/export.csv",
                 })
        {
            using var response = await browser.Http.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"GET {path} answered {(int)response.StatusCode}");
            Assert.DoesNotContain("kept@example.com", await response.Content.ReadAsStringAsync());
        }

        // A real antiforgery token of this session (from a page a responder may open), so only the role stops the posts.
        var token = ConsoleClient.HiddenValue(await browser.PageAsync("/console"), "__RequestVerificationToken")!;
        using var import = new MultipartFormDataContent
        {
            { new StringContent("import"), "_handler" },
            { new StringContent(token), "__RequestVerificationToken" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes("email\nforged@example.com\n")), "file", "forged.csv" },
        };
        using (var response = await browser.Http.PostAsync("/console/subscribers", import))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
        using (var response = await browser.Http.PostAsync($"/console/subscribers?erase={id}", new FormUrlEncodedContent(new Dictionary<string, string>
               {
                   ["_handler"] = "erase", ["__RequestVerificationToken"] = token, ["EraseId"] = id,
               })))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
        using (var response = await browser.Http.PostAsync("/console/audit", new FormUrlEncodedContent(new Dictionary<string, string>
               {
                   ["_handler"] = "verify", ["__RequestVerificationToken"] = token,
               })))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        var addresses = await WithDbAsync(db => db.Subscribers.Select(s => s.Address).ToListAsync());
        Assert.Equal(["kept@example.com"], addresses);
    }
}
