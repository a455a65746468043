using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Testing;

namespace CommsHub.Tests.Chat;

public sealed class DiscordWebhookTests : IDisposable
{
    private readonly ChatWebhookFake _fake = new();
    private readonly Microsoft.Extensions.DependencyInjection.ServiceProvider _services;

    public DiscordWebhookTests() => _services = ChatServices.Build(_fake.Configuration);

    public void Dispose()
    {
        _services.Dispose();
        _fake.Dispose();
    }

    [Fact]
    public void An_update_is_one_embed_linking_the_incident_with_status_impact_and_components_as_fields_and_no_mentions_parsed()
    {
        var body = _services.Webhook("discord").RenderBody(Updates.Sample());

        const string Expected = $$"""
        {
          "content": null,
          "embeds": [ {
            "title": "Playback errors in Europe",
            "url": "{{Updates.IncidentUrl}}",
            "description": "We found the cause and are rolling back the release.",
            "color": 15105570,
            "fields": [
              { "name": "Status", "value": "Identified", "inline": true },
              { "name": "Impact", "value": "Major impact", "inline": true },
              { "name": "Affected components", "value": "• Playback: Partial outage\n• Sign-in: Degraded performance", "inline": false }
            ],
            "timestamp": "2026-11-28T10:15:00.000Z",
            "footer": { "text": "Acme Status" }
          } ],
          "allowed_mentions": { "parse": [] }
        }
        """;
        Assert.Equal(Updates.Normalize(Expected), Updates.Normalize(body));
    }

    [Theory]
    [InlineData(Impact.None, 0x3498DB, "No impact")]
    [InlineData(Impact.Minor, 0xF1C40F, "Minor impact")]
    [InlineData(Impact.Major, 0xE67E22, "Major impact")]
    [InlineData(Impact.Critical, 0xE74C3C, "Critical impact")]
    public void The_colour_follows_the_impact_and_the_impact_is_also_in_words(Impact impact, int color, string words)
    {
        var embed = JsonNode.Parse(_services.Webhook("discord").RenderBody(Updates.Sample(impact: impact)))!["embeds"]![0]!;

        Assert.Equal(color, embed["color"]!.GetValue<int>());
        Assert.Equal(words, embed["fields"]![1]!["value"]!.GetValue<string>());
    }

    [Fact]
    public void Markdown_and_mentions_in_operator_text_are_escaped_and_no_mention_is_parsed()
    {
        var content = Updates.Sample(
            title: "**R&D** <@&123456> down",
            message: "Heads up <!channel> @everyone @here <@&987654> <script>alert(1)</script> R&D *bold* _it_ ~~x~~ `code` ||spoiler|| [x](https://evil.test)\n# Heading\n> quote\n- item\nsee https://docs.acme.test/run_book?a=1&b=2",
            components: [("@everyone_team", ComponentStatus.MajorOutage)]);

        var body = JsonNode.Parse(_services.Webhook("discord").RenderBody(content))!;

        var embed = body["embeds"]![0]!;
        Assert.Equal(
            "Heads up \\<!channel> @\u200Beveryone @\u200Bhere \\<@&987654> \\<script>alert(1)\\</script> R&D \\*bold\\* \\_it\\_ \\~\\~x\\~\\~ \\`code\\` \\|\\|spoiler\\|\\| \\[x\\](https://evil.test)\n\\# Heading\n\\> quote\n\\- item\nsee https://docs.acme.test/run_book?a=1&b=2",
            embed["description"]!.GetValue<string>());
        Assert.Equal("\\*\\*R&D\\*\\* \\<@&123456> down", embed["title"]!.GetValue<string>());
        Assert.Equal("• @\u200Beveryone\\_team: Major outage", embed["fields"]![2]!["value"]!.GetValue<string>());
        var allowed = body["allowed_mentions"]!.AsObject();
        Assert.Equal(["parse"], allowed.Select(p => p.Key));
        Assert.Empty(allowed["parse"]!.AsArray());
        Assert.Null(body["content"]);
    }

    [Fact]
    public async Task The_rendered_body_is_posted_without_wait_and_Discords_204_is_sent_without_a_message_id()
    {
        var webhook = _services.Webhook("discord");
        var body = webhook.RenderBody(Updates.Sample());

        var result = await webhook.PostAsync(body, default);

        var post = Assert.Single(_fake.Posts("discord"));
        Assert.Equal(body, post.Body);
        Assert.Empty(Assert.Single(_fake.Server.LogEntries).RequestMessage.Query ?? new Dictionary<string, WireMock.Types.WireMockList<string>>());
        Assert.Equal(DeliveryStatus.Sent, result.Status);
        Assert.Equal("discord", result.Provider);
        Assert.Equal(204, result.HttpStatus);
        Assert.Null(result.ProviderMessageId);
    }
}
