using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CommsHub.Core.Common;
using Microsoft.Extensions.Options;
using CommsHub.Core.Incidents;

namespace CommsHub.Core.Channels.Chat;

/// <summary>
/// A Slack incoming webhook: Block Kit with a header, the message and a link to the incident, status,
/// impact and components as fields, the page and time as context; <c>text</c> is the notification fallback.
/// </summary>
public sealed partial class SlackWebhook(IOptions<ChatOptions> options, IHttpClientFactory httpClients, TimeProvider time)
    : ChatWebhook("slack", "Slack", options.Value.Slack.WebhookUrl, httpClients, time)
{
    public override ChatBody Render(UpdateContent content)
    {
        var title = ChatText.Clean(content.IncidentTitle) is { Length: > 0 } t ? t : "Incident update";
        var message = ChatText.Clean(content.Message);
        var status = Labels.Of(content.Status);
        var impact = ImpactText(content.Impact);
        var cuts = new List<string>();
        var header = ChatLimits.Fit(title, ChatLimits.SlackHeader, cuts: cuts);

        // A link rather than a button: Slack flags button clicks as failed unless the app handles interactions.
        var link = $"*<{ChatText.SlackUrl(content.IncidentUrl)}|View incident>*";
        var section = message.Length == 0
            ? link
            : ChatLimits.Fit(message, ChatLimits.SlackSectionText - link.Length - 2, ChatText.Slack, cuts) + "\n\n" + link;

        var fields = new JsonArray(Field("Status", status), Field("Impact", impact));
        var components = ComponentItems(content);
        if (components.Count > 0)
        {
            const string Name = "*Affected components*\n";
            fields.Add(Mrkdwn(Name + ChatLimits.JoinWithin(components.Select(c => "• " + c).ToList(), "\n",
                ChatLimits.SlackField - Name.Length, ChatText.Slack, cuts)));
        }

        var posted = content.PostedAt.ToUniversalTime();
        var context = $"<{ChatText.SlackUrl(content.PageUrl)}|{ChatLimits.Fit(ChatText.Clean(content.PageName), ChatLimits.PageName, ChatText.Slack)}>"
            + $" · <!date^{posted.ToUnixTimeSeconds()}^{{date_short_pretty}} at {{time}}|{posted.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC>";

        var body = new JsonObject
        {
            ["text"] = ChatLimits.Fit($"{status}: {title} ({impact}). {message}".TrimEnd(), ChatLimits.SlackFallbackText, ChatText.Slack),
            ["blocks"] = new JsonArray(
                new JsonObject
                {
                    ["type"] = "header",
                    ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = header, ["emoji"] = true },
                },
                new JsonObject { ["type"] = "section", ["text"] = Mrkdwn(section) },
                new JsonObject { ["type"] = "section", ["fields"] = fields },
                new JsonObject { ["type"] = "context", ["elements"] = new JsonArray(Mrkdwn(context)) }),
        };
        return new ChatBody(Serialize(body), cuts);
    }

    /// <summary>Slack's error answers are bare codes such as <c>invalid_payload</c> or <c>no_service</c>.</summary>
    protected override string? ErrorCodeOf(string body) => ErrorCode().IsMatch(body) ? body : null;

    private static JsonObject Field(string name, string value)
    {
        var label = $"*{name}*\n";
        return Mrkdwn(label + ChatLimits.Fit(value, ChatLimits.SlackField - label.Length, ChatText.Slack));
    }

    private static JsonObject Mrkdwn(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    [GeneratedRegex("^[a-z][a-z_]{1,63}$")]
    private static partial Regex ErrorCode();
}
