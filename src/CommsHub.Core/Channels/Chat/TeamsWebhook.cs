using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using Microsoft.Extensions.Options;
using CommsHub.Core.Incidents;

namespace CommsHub.Core.Channels.Chat;

/// <summary>
/// A Teams Workflows ("Post to a channel when a webhook request is received") webhook: one Adaptive Card
/// 1.4 with the title, a FactSet of status, impact and components, the message, and a button to the incident.
/// Workflows answers 202 once it has queued the run; the run id, when sent, is the message id.
/// </summary>
public sealed class TeamsWebhook(IOptions<ChatOptions> options, IHttpClientFactory httpClients, TimeProvider time)
    : ChatWebhook("teams", "Teams", options.Value.Teams.WebhookUrl, httpClients, time)
{
    private const string RunIdHeader = "x-ms-workflow-run-id";

    public override ChatBody Render(UpdateContent content)
    {
        var title = ChatText.Clean(content.IncidentTitle) is { Length: > 0 } t ? t : "Incident update";
        var cuts = new List<string>();
        var fittedTitle = ChatLimits.Fit(title, ChatLimits.TeamsTitle, ChatText.Teams, cuts);
        var fittedMessage = ChatLimits.Fit(ChatText.Clean(content.Message), ChatLimits.TeamsMessage, ChatText.Teams, cuts);
        var facts = new JsonArray(Fact("Status", Labels.Of(content.Status)), Fact("Impact", ImpactText(content.Impact)));
        var components = ComponentItems(content);
        if (components.Count > 0)
        {
            // Commas, not lines: a single line break inside a fact is not a reliable break in every Teams client.
            facts.Add(new JsonObject
            {
                ["title"] = "Affected components",
                ["value"] = ChatLimits.JoinWithin(components, ", ", ChatLimits.TeamsFactValue, ChatText.Teams, cuts),
            });
        }

        var card = new JsonObject
        {
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["body"] = new JsonArray(
                new JsonObject
                {
                    ["type"] = "TextBlock",
                    ["text"] = fittedTitle,
                    ["weight"] = "Bolder",
                    ["size"] = "Medium",
                    ["wrap"] = true,
                },
                new JsonObject { ["type"] = "FactSet", ["facts"] = facts },
                new JsonObject
                {
                    ["type"] = "TextBlock",
                    ["text"] = fittedMessage,
                    ["wrap"] = true,
                }),
            ["actions"] = new JsonArray(new JsonObject
            {
                ["type"] = "Action.OpenUrl",
                ["title"] = "View incident",
                ["url"] = content.IncidentUrl,
            }),
        };
        return new ChatBody(Serialize(new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray(new JsonObject
            {
                ["contentType"] = "application/vnd.microsoft.card.adaptive",
                ["content"] = card,
            }),
        }), cuts);
    }

    /// <summary>Workflows errors look like <c>{"error":{"code":"WorkflowNotFound","message":…}}</c>.</summary>
    protected override string? ErrorCodeOf(string body) => TextOf(ParseObject(body)?["error"]?["code"]);

    protected override string? MessageIdOf(HttpResponseMessage response, string body) =>
        response.Headers.TryGetValues(RunIdHeader, out var values) ? values.FirstOrDefault() : null;

    private static JsonObject Fact(string title, string value) =>
        new() { ["title"] = title, ["value"] = ChatLimits.Fit(value, ChatLimits.TeamsFactValue, ChatText.Teams) };
}
