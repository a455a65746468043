using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using Microsoft.Extensions.Options;
using CommsHub.Core.Incidents;

namespace CommsHub.Core.Channels.Chat;

/// <summary>
/// A Discord webhook: one embed (title linking to the incident, the message, status, impact and components
/// as fields, coloured by impact) and <c>allowed_mentions</c> with nothing to parse, so no text can ping.
/// Posted without <c>?wait=true</c>, so Discord answers 204 and no message id.
/// </summary>
public sealed class DiscordWebhook(IOptions<ChatOptions> options, IHttpClientFactory httpClients, TimeProvider time)
    : ChatWebhook("discord", "Discord", options.Value.Discord.WebhookUrl, httpClients, time)
{
    public override ChatBody Render(UpdateContent content)
    {
        var title = ChatText.Clean(content.IncidentTitle) is { Length: > 0 } t ? t : "Incident update";
        var cuts = new List<string>();
        var fittedTitle = ChatLimits.Fit(title, ChatLimits.DiscordTitle, ChatText.Discord, cuts);
        var componentCuts = new List<string>();
        List<(string Name, string Value, bool Inline)> fields =
        [
            ("Status", Labels.Of(content.Status), true),
            ("Impact", ImpactText(content.Impact), true),
        ];
        var components = ComponentItems(content);
        if (components.Count > 0)
        {
            fields.Add(("Affected components",
                ChatLimits.JoinWithin(components.Select(c => "• " + c).ToList(), "\n", ChatLimits.DiscordFieldValue, ChatText.Discord, componentCuts), false));
        }

        var embed = new JsonObject
        {
            ["title"] = fittedTitle,
            ["url"] = content.IncidentUrl,
        };
        // Footers are not Markdown: the page name goes as written.
        var footer = ChatLimits.Fit(ChatText.Clean(content.PageName), Math.Min(ChatLimits.PageName, ChatLimits.DiscordFooter));
        // The description gets what the 6,000-character embed total leaves after everything else.
        var used = embed["title"]!.GetValue<string>().Length + footer.Length + fields.Sum(f => f.Name.Length + f.Value.Length);
        var description = ChatLimits.Fit(ChatText.Clean(content.Message),
            Math.Min(ChatLimits.DiscordDescription, ChatLimits.DiscordEmbedTotal - used), ChatText.Discord, cuts);
        cuts.AddRange(componentCuts);
        if (description.Length > 0)
        {
            // Discord refuses an empty description.
            embed["description"] = description;
        }
        embed["color"] = ColorOf(content.Impact);
        embed["fields"] = new JsonArray(fields.Select(f => (JsonNode)new JsonObject
        {
            ["name"] = f.Name,
            ["value"] = f.Value,
            ["inline"] = f.Inline,
        }).ToArray());
        embed["timestamp"] = content.PostedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        if (footer.Length > 0)
        {
            embed["footer"] = new JsonObject { ["text"] = footer };
        }

        return new ChatBody(Serialize(new JsonObject
        {
            ["content"] = null,
            ["embeds"] = new JsonArray(embed),
            ["allowed_mentions"] = new JsonObject { ["parse"] = new JsonArray() },
        }), cuts);
    }

    /// <summary>Discord's JSON errors carry a numeric code, e.g. 10015 Unknown Webhook.</summary>
    protected override string? ErrorCodeOf(string body) => TextOf(ParseObject(body)?["code"]);

    /// <summary>Discord's 429 body says how long to wait, in seconds with a fraction.</summary>
    protected override TimeSpan? RetryAfterInBody(string body) =>
        ParseObject(body)?["retry_after"] is JsonValue value && value.TryGetValue<double>(out var seconds) && double.IsFinite(seconds) && seconds >= 0
            ? TimeSpan.FromSeconds(seconds)
            : null;

    /// <summary>Only a URL the operator gave <c>?wait=true</c> answers 200 with the message; we never add it.</summary>
    protected override string? MessageIdOf(HttpResponseMessage response, string body) => TextOf(ParseObject(body)?["id"]);

    internal static int ColorOf(Impact impact) => impact switch
    {
        Impact.Critical => 0xE74C3C,
        Impact.Major => 0xE67E22,
        Impact.Minor => 0xF1C40F,
        _ => 0x3498DB,
    };
}
