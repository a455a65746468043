using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Testing;

namespace CommsHub.Tests.Chat;

public sealed class TeamsWebhookTests : IDisposable
{
    private readonly ChatWebhookFake _fake = new();
    private readonly Microsoft.Extensions.DependencyInjection.ServiceProvider _services;

    public TeamsWebhookTests() => _services = ChatServices.Build(_fake.Configuration);

    public void Dispose()
    {
        _services.Dispose();
        _fake.Dispose();
    }

    [Fact]
    public void An_update_is_an_adaptive_card_with_title_facts_message_and_a_button_to_the_incident()
    {
        var body = _services.Webhook("teams").RenderBody(Updates.Sample());

        const string Expected = $$"""
        {
          "type": "message",
          "attachments": [ {
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {
              "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
              "type": "AdaptiveCard",
              "version": "1.4",
              "body": [
                { "type": "TextBlock", "text": "Playback errors in Europe", "weight": "Bolder", "size": "Medium", "wrap": true },
                { "type": "FactSet", "facts": [
                  { "title": "Status", "value": "Identified" },
                  { "title": "Impact", "value": "Major impact" },
                  { "title": "Affected components", "value": "Playback: Partial outage, Sign-in: Degraded performance" }
                ] },
                { "type": "TextBlock", "text": "We found the cause and are rolling back the release.", "wrap": true }
              ],
              "actions": [ { "type": "Action.OpenUrl", "title": "View incident", "url": "{{Updates.IncidentUrl}}" } ]
            }
          } ]
        }
        """;
        Assert.Equal(Updates.Normalize(Expected), Updates.Normalize(body));
    }

    [Fact]
    public void Card_markup_in_operator_text_is_escaped_but_urls_keep_working()
    {
        var content = Updates.Sample(
            title: "**R&D** [down]",
            message: "Heads up <!channel> @everyone <at>Ops</at> <script>alert(1)</script> R&D *bold* _it_ [x](https://evil.test)\n- item\nsee https://docs.acme.test/run_book?a=1&b=2",
            components: [("Web_<b>", ComponentStatus.MajorOutage)]);

        var card = JsonNode.Parse(_services.Webhook("teams").RenderBody(content))!["attachments"]![0]!["content"]!;

        Assert.Equal(
            "Heads up &lt;!channel&gt; @everyone &lt;at&gt;Ops&lt;/at&gt; &lt;script&gt;alert(1)&lt;/script&gt; R&amp;D \\*bold\\* \\_it\\_ \\[x\\](https://evil.test)\n\\- item\nsee https://docs.acme.test/run_book?a=1&amp;b=2",
            card["body"]![2]!["text"]!.GetValue<string>());
        Assert.Equal("\\*\\*R&amp;D\\*\\* \\[down\\]", card["body"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("Web\\_&lt;b&gt;: Major outage", card["body"]![1]!["facts"]![2]!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_rendered_body_is_posted_and_the_workflow_run_id_is_the_message_id()
    {
        _fake.Answer("teams", new ChatAnswer(202, Headers: new Dictionary<string, string> { ["x-ms-workflow-run-id"] = "08584637-run-1" }));
        var webhook = _services.Webhook("teams");
        var body = webhook.RenderBody(Updates.Sample());

        var first = await webhook.PostAsync(body, default);
        var second = await webhook.PostAsync(body, default);

        Assert.Equal([body, body], _fake.Posts("teams").Select(p => p.Body));
        Assert.Equal((DeliveryStatus.Sent, 202, "08584637-run-1"), (first.Status, first.HttpStatus!.Value, first.ProviderMessageId));
        Assert.Equal(DeliveryStatus.Sent, second.Status);
        Assert.Null(second.ProviderMessageId);
        Assert.Equal("teams", second.Provider);
    }
}
