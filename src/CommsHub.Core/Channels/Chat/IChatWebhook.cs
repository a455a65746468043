using CommsHub.Core.Deliveries;
using CommsHub.Core.Incidents;
namespace CommsHub.Core.Channels.Chat;

/// <summary>One chat incoming webhook (Slack, Discord or Teams): one message per incident update.</summary>
public interface IChatWebhook
{
    /// <summary>"slack", "discord" or "teams": also the <see cref="SendResult.Provider"/>.</summary>
    string Name { get; }

    /// <summary>True when a webhook URL is configured.</summary>
    bool IsConfigured { get; }

    /// <summary>
    /// A label safe to store and show, such as <c>slack:hooks.slack.com/…/a1b2</c>: the URL itself is the
    /// credential, so only its host and last four characters appear. Empty when not configured.
    /// </summary>
    string Target { get; }

    /// <summary>The exact JSON <see cref="PostAsync"/> would send for this update; the preview shows the same.</summary>
    string RenderBody(UpdateContent content);

    /// <summary>The body <see cref="RenderBody"/> gives, and what the medium's limits made it leave out.</summary>
    ChatBody Render(UpdateContent content);

    /// <summary>POSTs <paramref name="body"/> to the webhook and maps the answer; throws when not configured.</summary>
    Task<SendResult> PostAsync(string body, CancellationToken ct);
}
