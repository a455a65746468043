using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Incidents;

/// <summary>PUT /api/incidents/{id}/postmortem, through the API to the page, the feeds, /api/v2 and subscribers (the real SendGrid SDK on a loopback fake).</summary>
public sealed class PostmortemTests : IncidentApiTest, IDisposable
{
    private const string Markdown = "## What happened\n\nThe **primary database** failed over. <script>alert(1)</script>\n\n[Details](javascript:alert(1)) and [the fix](https://acme.example/fix).";

    private readonly SendGridFake _sendGrid = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Email:SendGrid:ApiKey"] = "SG.test-key",
        ["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url,
        ["Channels:Email:From"] = "Acme Status <status@acme.example>",
    };

    public void Dispose() => _sendGrid.Dispose();

    private async Task<JsonNode> PutAsync(string path, string json, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await Admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"PUT {path} answered {(int)response.StatusCode}, expected {(int)expected}: {text}");
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }

    private Task<JsonNode> PutAsync(string path, object body, HttpStatusCode expected = HttpStatusCode.OK) =>
        PutAsync(path, JsonSerializer.Serialize(body), expected);

    private async Task<string> ResolvedIncidentAsync()
    {
        var id = Id(await Admin.PostAsync("/api/incidents", new { title = "Playback outage", message = "Investigating.", notify = false }));
        await Admin.PostAsync($"/api/incidents/{id}/updates", new { message = "Resolved.", status = "resolved", notify = false });
        return id;
    }

    [Fact]
    public async Task A_postmortem_is_on_the_page_in_the_feeds_in_v2_and_in_the_admin_incident_rendered_and_sanitised()
    {
        var id = await ResolvedIncidentAsync();
        var answer = await PutAsync($"/api/incidents/{id}/postmortem", new { body = Markdown });
        Assert.Equal("postmortem", answer["status"]!.GetValue<string>());
        var postmortem = answer["postmortem"]!;
        Assert.Equal(Markdown, postmortem["body"]!.GetValue<string>());
        var html = postmortem["html"]!.GetValue<string>();
        Assert.Contains("<strong>primary database</strong>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
        Assert.DoesNotContain("javascript:", html, StringComparison.Ordinal);
        Assert.Equal(postmortem["publishedAt"]!.GetValue<DateTimeOffset>(), postmortem["updatedAt"]!.GetValue<DateTimeOffset>());
        Assert.Null(postmortem["notifiedAt"]);
        Assert.Equal(html, (await Admin.GetJsonAsync($"/api/incidents/{id}"))["postmortem"]!["html"]!.GetValue<string>());

        var page = await PublicEventuallyAsync($"/incidents/{id}", b => b.Contains(">Postmortem</h2>", StringComparison.Ordinal), "shows the postmortem");
        Assert.Contains("<strong>primary database</strong>", page, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://acme.example/fix\" rel=\"nofollow noopener\">the fix</a>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", page, StringComparison.Ordinal);
        Assert.DoesNotContain("javascript:", page, StringComparison.Ordinal);

        var atom = await PublicEventuallyAsync("/history.atom", b => b.Contains("Postmortem: Playback outage", StringComparison.Ordinal), "has the postmortem entry");
        Assert.Contains($"incident/{id}/postmortem</id>", atom, StringComparison.Ordinal);
        Assert.Contains("&lt;strong&gt;primary database&lt;/strong&gt;", atom, StringComparison.Ordinal);
        var rss = await PublicEventuallyAsync("/history.rss", b => b.Contains("Postmortem: Playback outage", StringComparison.Ordinal), "has the postmortem entry");
        Assert.Contains($"/incidents/{id}#postmortem", rss, StringComparison.Ordinal);

        var v2 = JsonNode.Parse(await PublicEventuallyAsync("/api/v2/incidents.json", b => b.Contains("postmortem_body\":\"##", StringComparison.Ordinal), "has the body"))!;
        var incident = v2["incidents"]!.AsArray().Single(i => i!["id"]!.GetValue<string>() == id)!;
        Assert.Equal(Markdown, incident["postmortem_body"]!.GetValue<string>());
        Assert.Equal("postmortem", incident["status"]!.GetValue<string>());
        Assert.NotNull(incident["postmortem_published_at"]);
        Assert.NotNull(incident["postmortem_body_last_updated_at"]);
        Assert.False(incident["postmortem_notified_subscribers"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_second_put_replaces_the_text_keeps_the_publication_time_and_is_audited()
    {
        var id = await ResolvedIncidentAsync();
        var first = (await PutAsync($"/api/incidents/{id}/postmortem", new { body = "First draft of the story." }))["postmortem"]!;
        var second = (await PutAsync($"/api/incidents/{id}/postmortem", new { body = "The **real** story." }))["postmortem"]!;
        Assert.Equal("The **real** story.", second["body"]!.GetValue<string>());
        // The first answer has the time as taken, the second as stored (SQLite keeps less precision).
        Assert.True((first["publishedAt"]!.GetValue<DateTimeOffset>() - second["publishedAt"]!.GetValue<DateTimeOffset>()).Duration() < TimeSpan.FromMilliseconds(1));
        Assert.True(second["updatedAt"]!.GetValue<DateTimeOffset>() > first["updatedAt"]!.GetValue<DateTimeOffset>());

        var page = await PublicEventuallyAsync($"/incidents/{id}", b => b.Contains("<strong>real</strong>", StringComparison.Ordinal), "shows the new text");
        Assert.DoesNotContain("First draft", page, StringComparison.Ordinal);

        var audit = await WithDbAsync(db => db.AuditEntries.Where(a => a.Subject == id && a.Action == "incident.postmortem_published").OrderBy(a => a.Id).ToListAsync());
        Assert.Equal(2, audit.Count);
        Assert.False(JsonNode.Parse(audit[0].Data)!["replaced"]!.GetValue<bool>());
        Assert.True(JsonNode.Parse(audit[1].Data)!["replaced"]!.GetValue<bool>());
        Assert.Equal(2, await WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Action == "admin.put" && a.Subject == id)));
    }

    [Fact]
    public async Task Notify_sends_a_short_postmortem_message_with_a_link_once_per_text()
    {
        await Admin.SubscribeAsync("ann@example.com");
        var id = await ResolvedIncidentAsync();
        var body = "# Summary\n\nThe primary database failed over at 14:02. " + string.Concat(Enumerable.Repeat("More detail here. ", 200));

        var answer = await PutAsync($"/api/incidents/{id}/postmortem", new { body, notify = true });
        Assert.NotNull(answer["postmortem"]!["notifiedAt"]);
        var update = answer["updates"]!.AsArray().Single(u => u!["status"]!.GetValue<string>() == "postmortem")!;
        Assert.False(update["public"]!.GetValue<bool>());
        var sent = await SettledDeliveriesAsync($"updateId={Id(update)}", 1);
        Assert.Equal("sent", sent[0]["status"]!.GetValue<string>());

        var mail = Assert.Single(_sendGrid.Requests);
        Assert.Equal(["ann@example.com"], mail.Recipients);
        Assert.Contains("Postmortem", mail.Subject, StringComparison.Ordinal);
        var text = mail.Content("text/plain")!;
        Assert.Contains("The primary database failed over at 14:02.", text, StringComparison.Ordinal);
        Assert.Contains($"https://status.test/incidents/{id}", text, StringComparison.Ordinal);
        Assert.DoesNotContain("# Summary", text, StringComparison.Ordinal);
        Assert.True(text.Length < body.Length / 2, $"the mail quotes the whole postmortem ({text.Length} characters)");

        // The same request again (a retry) sends nothing more; a replaced text is sent when asked.
        await PutAsync($"/api/incidents/{id}/postmortem", new { body, notify = true });
        await PutAsync($"/api/incidents/{id}/postmortem", new { body = body + " Corrected.", notify = false });
        Assert.Single(await Admin.AllDeliveriesAsync($"incidentId={id}"));
        await PutAsync($"/api/incidents/{id}/postmortem", new { body = body + " Corrected.", notify = true });
        await SettledDeliveriesAsync($"incidentId={id}", 2);
        await Eventually.HoldsAsync(() => Task.FromResult(_sendGrid.Requests.Count == 2), "the replaced postmortem is mailed");
        var v2 = await PublicEventuallyAsync("/api/v2/incidents.json", b => b.Contains("\"postmortem_notified_subscribers\":true", StringComparison.Ordinal), "says notified");
        Assert.DoesNotContain("The primary database failed over at 14:02. More detail here. More detail here. Read it", v2, StringComparison.Ordinal);
        Assert.Equal(1, await WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Subject == id && a.Action == "incident.postmortem_published"
            && a.Data.Contains("\"notify\":true"))));
    }

    [Fact]
    public async Task Bad_requests_unknown_incidents_and_incidents_that_take_no_postmortem_are_refused()
    {
        var id = await ResolvedIncidentAsync();
        var path = $"/api/incidents/{id}/postmortem";
        Assert.NotNull((await PutAsync(path, new { body = "  " }, HttpStatusCode.BadRequest))["errors"]!["body"]);
        Assert.NotNull((await PutAsync(path, "{}", HttpStatusCode.BadRequest))["errors"]!["body"]);
        Assert.NotNull((await PutAsync(path, new { body = new string('x', 100_001) }, HttpStatusCode.BadRequest))["errors"]!["body"]);
        Assert.NotNull((await PutAsync(path, "{\"body\":\"ok\",\"sendTo\":\"all\"}", HttpStatusCode.BadRequest))["errors"]!["sendTo"]);
        Assert.NotNull((await PutAsync(path, "{\"body\":\"bad \\u001b[31m\"}", HttpStatusCode.BadRequest))["errors"]!["body"]);
        Assert.Null((await Admin.GetJsonAsync($"/api/incidents/{id}"))["postmortem"]);
        await PutAsync($"/api/incidents/{Guid.NewGuid()}/postmortem", new { body = "x" }, HttpStatusCode.NotFound);

        var open = Id(await Admin.PostAsync("/api/incidents", new { title = "Still going", message = "Investigating.", notify = false }));
        await PutAsync($"/api/incidents/{open}/postmortem", new { body = "Early notes.", notify = true }, HttpStatusCode.Conflict);
        Assert.Equal("investigating", (await PutAsync($"/api/incidents/{open}/postmortem", new { body = "Early notes." }))["status"]!.GetValue<string>());

        var draft = Id(await Admin.PostAsync("/api/incidents", new { title = "Draft", message = "Not yet.", draft = true }));
        await PutAsync($"/api/incidents/{draft}/postmortem", new { body = "x" }, HttpStatusCode.Conflict);
        await DeleteAsync($"/api/incidents/{id}");
        await PutAsync(path, new { body = "x" }, HttpStatusCode.Conflict);
        var database = await Admin.CreateComponentAsync("Database");
        var start = DateTimeOffset.UtcNow.AddDays(1);
        var maintenance = Id(await Admin.PostAsync("/api/maintenances", new
        {
            title = "Database upgrade", message = "Read-only for an hour.", components = new[] { database }, scheduledFor = start, scheduledUntil = start.AddHours(1),
        }));
        await PutAsync($"/api/incidents/{maintenance}/postmortem", new { body = "x" }, HttpStatusCode.Conflict);
    }
}
