using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Testing;

namespace CommsHub.Tests.Chat;

public sealed class SlackWebhookTests : IDisposable
{
    private readonly ChatWebhookFake _fake = new();
    private readonly Microsoft.Extensions.DependencyInjection.ServiceProvider _services;

    public SlackWebhookTests() => _services = ChatServices.Build(_fake.Configuration);

    public void Dispose()
    {
        _services.Dispose();
        _fake.Dispose();
    }

    [Fact]
    public void An_update_is_a_header_the_message_with_its_link_status_impact_and_components_as_fields_and_the_page_as_context()
    {
        var body = _services.Webhook("slack").RenderBody(Updates.Sample());

        const string Expected = $$"""
        {
          "text": "Identified: Playback errors in Europe (Major impact). We found the cause and are rolling back the release.",
          "blocks": [
            { "type": "header", "text": { "type": "plain_text", "text": "Playback errors in Europe", "emoji": true } },
            { "type": "section", "text": { "type": "mrkdwn", "text": "We found the cause and are rolling back the release.\n\n*<{{Updates.IncidentUrl}}|View incident>*" } },
            { "type": "section", "fields": [
              { "type": "mrkdwn", "text": "*Status*\nIdentified" },
              { "type": "mrkdwn", "text": "*Impact*\nMajor impact" },
              { "type": "mrkdwn", "text": "*Affected components*\n• Playback: Partial outage\n• Sign-in: Degraded performance" }
            ] },
            { "type": "context", "elements": [
              { "type": "mrkdwn", "text": "<https://status.acme.test/|Acme Status> · <!date^1795860900^{date_short_pretty} at {time}|2026-11-28 10:15 UTC>" }
            ] }
          ]
        }
        """;
        Assert.Equal(Updates.Normalize(Expected), Updates.Normalize(body));
    }

    [Fact]
    public void Without_components_there_is_no_components_field_and_no_impact_reads_as_words()
    {
        var body = JsonNode.Parse(_services.Webhook("slack").RenderBody(Updates.Sample(impact: Impact.None, components: [])))!;

        var fields = body["blocks"]![2]!["fields"]!.AsArray().Select(f => f!["text"]!.GetValue<string>()).ToList();
        Assert.Equal(["*Status*\nIdentified", "*Impact*\nNo impact"], fields);
    }

    [Fact]
    public void Slack_markup_in_operator_text_is_escaped_so_nothing_notifies_or_links()
    {
        var content = Updates.Sample(
            title: "R&D <b>down</b>",
            message: "Heads up <!channel> <!here> <@U024BE7LH> @everyone <script>alert(1)</script> R&D > all",
            components: [("<!channel> & co", ComponentStatus.MajorOutage)]);

        var body = JsonNode.Parse(_services.Webhook("slack").RenderBody(content))!;

        var section = body["blocks"]![1]!["text"]!["text"]!.GetValue<string>();
        Assert.Equal(
            $"Heads up &lt;!channel&gt; &lt;!here&gt; &lt;@U024BE7LH&gt; @everyone &lt;script&gt;alert(1)&lt;/script&gt; R&amp;D &gt; all\n\n*<{Updates.IncidentUrl}|View incident>*",
            section);
        Assert.Equal("*Affected components*\n• &lt;!channel&gt; &amp; co: Major outage", body["blocks"]![2]!["fields"]![2]!["text"]!.GetValue<string>());
        var fallback = body["text"]!.GetValue<string>();
        Assert.StartsWith("Identified: R&amp;D &lt;b&gt;down&lt;/b&gt; (Major impact). Heads up &lt;!channel&gt;", fallback);
        Assert.DoesNotContain("<", fallback);
        // plain_text is never parsed for links or mentions, so the header shows the title as typed.
        Assert.Equal("R&D <b>down</b>", body["blocks"]![0]!["text"]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_rendered_body_is_posted_as_json_and_Slacks_ok_is_sent_without_a_message_id()
    {
        var webhook = _services.Webhook("slack");
        var body = webhook.RenderBody(Updates.Sample());

        var result = await webhook.PostAsync(body, default);

        var post = Assert.Single(_fake.Posts("slack"));
        Assert.Equal(body, post.Body);
        Assert.StartsWith("application/json", post.ContentType);
        Assert.Equal(DeliveryStatus.Sent, result.Status);
        Assert.Equal("slack", result.Provider);
        Assert.Equal(200, result.HttpStatus);
        Assert.Null(result.ProviderMessageId);
        Assert.Null(result.Error);
        Assert.False(result.Transient);
        Assert.True(result.Latency > TimeSpan.Zero);
    }
}
