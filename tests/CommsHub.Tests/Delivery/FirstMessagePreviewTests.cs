using System.Net;
using System.Text.Json.Nodes;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using CommsHub.Tests.Social;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Delivery;

/// <summary>
/// POST /api/incidents/preview: a new incident's first message on every medium it would reach, validated
/// as a real create, with what each medium's limits cut; nothing stored.
/// </summary>
public sealed class FirstMessagePreviewTests : SqliteAppTest
{
    private static readonly string[] EveryMedium = ["email", "sms", "mastodon", "bluesky", "x", "slack", "discord", "teams", "webhook"];

    // Every social network and chat webhook configured, so every medium is previewed. The preview never reaches them.
    protected override Dictionary<string, string?> Settings()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Channels:Chat:Slack:WebhookUrl"] = "https://hooks.slack.example/services/T000/B000/preview-only-0001",
            ["Channels:Chat:Discord:WebhookUrl"] = "https://discord.example/api/webhooks/1/preview-only-0002",
            ["Channels:Chat:Teams:WebhookUrl"] = "https://teams.example/workflows/preview-only-0003",
        };
        foreach (var network in new[] { SocialServices.Mastodon("https://mastodon.example"), SocialServices.Bluesky("https://bsky.example"), SocialServices.X("https://x.example") })
        {
            foreach (var (key, value) in network)
            {
                settings[key] = value;
            }
        }
        return settings;
    }

    [Fact]
    public async Task The_first_message_is_rendered_for_every_configured_medium_as_a_first_post_and_nothing_is_stored()
    {
        var streaming = await Admin.CreateComponentAsync("Streaming");
        var before = await StoredAsync();

        var preview = await Admin.PostAsync("/api/incidents/preview", new
        {
            title = "Video playback outage",
            message = "We’re investigating — “playback” fails to start…",
            impact = "major",
            components = new[] { new { id = streaming, status = "partial_outage" } },
        }, HttpStatusCode.OK);

        Assert.Equal(EveryMedium.Order(), preview.AsObject().Select(p => p.Key).Order());
        Assert.All(EveryMedium, medium =>
        {
            Assert.False(preview[medium]!["truncated"]!.GetValue<bool>(), medium);
            Assert.True(preview[medium]!.AsObject().ContainsKey("cut"), medium);
            Assert.Null(preview[medium]!["cut"]);
        });
        Assert.Equal("[Acme Status] Video playback outage — Investigating", preview["email"]!["subject"]!.GetValue<string>());
        Assert.Contains("Streaming: Partial outage", preview["email"]!["text"]!.GetValue<string>());
        var sms = preview["sms"]!;
        Assert.Contains("We're investigating - \"playback\" fails to start...", sms["body"]!.GetValue<string>());
        Assert.Equal("GSM-7", sms["encoding"]!.GetValue<string>());
        foreach (var network in new[] { "mastodon", "bluesky", "x" })
        {
            // The first post of the incident's thread: its title, not "Update (…)".
            Assert.StartsWith("🔴 Investigating — Video playback outage\n\n", preview[network]!["text"]!.GetValue<string>());
        }
        Assert.Equal("Video playback outage", preview["slack"]!["body"]!["blocks"]![0]!["text"]!["text"]!.GetValue<string>());
        Assert.Equal("Video playback outage", preview["discord"]!["body"]!["embeds"]![0]!["title"]!.GetValue<string>());
        var incident = preview["webhook"]!["body"]!["incident"]!;
        Assert.Equal("investigating", incident["status"]!.GetValue<string>());
        Assert.Single(incident["incident_updates"]!.AsArray());
        Assert.Equal("major", preview["webhook"]!["body"]!["page"]!["status_indicator"]!.GetValue<string>());

        Assert.Equal(before, await StoredAsync());
        Assert.Empty((await Admin.GetJsonAsync("/api/incidents")).AsArray());
        Assert.Equal("operational", (await Admin.GetJsonAsync($"/api/components/{streaming}"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Components_are_listed_in_the_order_the_sent_message_lists_them()
    {
        var zeta = await Admin.CreateComponentAsync("Zeta API");
        var alpha = await Admin.CreateComponentAsync("Alpha web");
        var pageOrder = (await Admin.GetJsonAsync("/api/components")).AsArray().Select(c => c!["name"]!.GetValue<string>()).ToList();

        // Named in the other order than the page's: the message still follows the page.
        var named = pageOrder[0] == "Zeta API" ? new[] { alpha, zeta } : [zeta, alpha];
        var preview = await Admin.PostAsync("/api/incidents/preview", new
        {
            title = "Outage", message = "Down", components = named.Select(id => new { id, status = "major_outage" }).ToArray(),
        }, HttpStatusCode.OK);

        var slack = preview["slack"]!["body"]!["blocks"]![2]!["fields"]![2]!["text"]!.GetValue<string>();
        Assert.Equal($"*Affected components*\n• {pageOrder[0]}: Major outage\n• {pageOrder[1]}: Major outage", slack);
    }

    [Fact]
    public async Task The_webhook_page_status_counts_only_what_the_page_shows()
    {
        // A critical draft is on no public surface: the page status the webhook body carries ignores it, as the sender's does.
        await Admin.PostAsync("/api/incidents", new { title = "Not yet public", message = "Draft", impact = "critical", draft = true });

        var preview = await Admin.PostAsync("/api/incidents/preview", new { title = "Slow search", message = "Looking", impact = "minor" }, HttpStatusCode.OK);

        Assert.Equal("minor", preview["webhook"]!["body"]!["page"]!["status_indicator"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_long_first_message_reports_on_each_medium_whether_it_was_cut_and_what()
    {
        const string Last = "The final sentence names the workaround.";
        var message = string.Join(' ', Enumerable.Range(1, 700).Select(i => $"Step {i} is done.")) + " " + Last;

        var preview = await Admin.PostAsync("/api/incidents/preview", new { title = "Playback outage", message }, HttpStatusCode.OK);

        foreach (var medium in new[] { "sms", "mastodon", "bluesky", "x", "slack", "discord", "teams" })
        {
            Assert.True(preview[medium]!["truncated"]!.GetValue<bool>(), medium);
            var cut = preview[medium]!["cut"]!.GetValue<string>();
            // Cut at a word: what was left out is the message's whole end, down to its last sentence.
            Assert.EndsWith(Last, cut);
            Assert.EndsWith(" " + cut, message);
        }
        // Email and webhooks carry the whole message: nothing cut.
        Assert.Contains(message, preview["email"]!["text"]!.GetValue<string>());
        Assert.False(preview["email"]!["truncated"]!.GetValue<bool>());
        Assert.False(preview["webhook"]!["truncated"]!.GetValue<bool>());
        Assert.Equal(message, preview["webhook"]!["body"]!["incident"]!["incident_updates"]![0]!["body"]!.GetValue<string>());
    }

    public static TheoryData<string> Invalid => new()
    {
        """{"title":"","message":""}""",
        """{"title":"Outage","message":"Down","status":"fine","impact":"huge"}""",
        """{"title":"Outage","message":"Down","status":"scheduled"}""",
        """{"title":"Outage","message":"Down","components":[{"id":"0193a6f0-0000-7000-8000-000000000001","status":"major_outage"},{"status":"broken"}]}""",
        """{"title":"Outage","message":"Down","channels":["pager"]}""",
        """{"title":"Outage","message":"Down","channels":[]}""",
        $$"""{"title":"{{new string('t', 501)}}","message":"Down"}""",
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task An_invalid_first_message_gets_the_400_a_create_would_and_nothing_is_stored(string body)
    {
        var before = await StoredAsync();

        var preview = await PostRawAsync("/api/incidents/preview", body);
        var create = await PostRawAsync("/api/incidents", body);

        Assert.Equal(HttpStatusCode.BadRequest, preview.Status);
        Assert.Equal(HttpStatusCode.BadRequest, create.Status);
        Assert.NotNull(preview.Body["errors"]);
        Assert.True(JsonNode.DeepEquals(create.Body["errors"], preview.Body["errors"]), $"preview: {preview.Body["errors"]}, create: {create.Body["errors"]}");
        Assert.Equal(before, await StoredAsync());
    }

    [Fact]
    public async Task A_first_message_from_a_template_is_previewed_as_the_create_would_send_it()
    {
        var streaming = await Admin.CreateComponentAsync("Streaming");
        var template = await Admin.PostAsync("/api/templates", new
        {
            name = "CDN outage", title = "Video playback outage", message = "Playback fails to start.", impact = "major",
            components = new[] { new { id = streaming, status = "major_outage" } },
        });
        var templateId = template["id"]!.GetValue<string>();

        var preview = await Admin.PostAsync("/api/incidents/preview", new { templateId, message = "Playback fails in Europe." }, HttpStatusCode.OK);

        Assert.Equal("[Acme Status] Video playback outage — Investigating", preview["email"]!["subject"]!.GetValue<string>());
        Assert.Contains("Playback fails in Europe.", preview["email"]!["text"]!.GetValue<string>()); // the call's field wins
        Assert.Contains("Streaming: Major outage", preview["email"]!["text"]!.GetValue<string>());
        var unknown = await Admin.PostAsync("/api/incidents/preview", new { templateId = Guid.CreateVersion7() }, HttpStatusCode.BadRequest);
        Assert.NotNull(unknown["errors"]!["templateId"]);
        Assert.Empty((await Admin.GetJsonAsync("/api/incidents")).AsArray());
    }

    [Fact]
    public async Task A_first_message_for_the_website_only_renders_for_no_medium()
    {
        var webOnly = await Admin.PostAsync("/api/incidents/preview", new { title = "Outage", message = "Website only", channels = new[] { "web" } }, HttpStatusCode.OK);
        Assert.Empty(webOnly.AsObject());
        var silent = await Admin.PostAsync("/api/incidents/preview", new { title = "Outage", message = "Website only", notify = false }, HttpStatusCode.OK);
        Assert.Empty(silent.AsObject());
        var smsOnly = await Admin.PostAsync("/api/incidents/preview", new { title = "Outage", message = "Text only", channels = new[] { "sms" } }, HttpStatusCode.OK);
        Assert.Equal(["sms"], smsOnly.AsObject().Select(p => p.Key));
    }

    private async Task<(HttpStatusCode Status, JsonNode Body)> PostRawAsync(string path, string json)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        using var response = await Admin.PostAsync(path, content);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private Task<(int Incidents, int Updates, int Outbox, int Deliveries, int Affected)> StoredAsync() => WithDbAsync(async db => (
        await db.Incidents.CountAsync(), await db.IncidentUpdates.CountAsync(), await db.OutboxMessages.CountAsync(),
        await db.Deliveries.CountAsync(), await db.Set<Core.Incidents.IncidentComponent>().CountAsync()));
}
