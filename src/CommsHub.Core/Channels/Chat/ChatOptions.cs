using System.ComponentModel.DataAnnotations;

namespace CommsHub.Core.Channels.Chat;

/// <summary>Channels:Chat: one incoming-webhook URL per medium; an empty one turns that medium off.</summary>
public sealed class ChatOptions : IValidatableObject
{
    public const string Section = "Channels:Chat";

    public ChatWebhookOptions Slack { get; set; } = new();
    public ChatWebhookOptions Discord { get; set; } = new();
    public ChatWebhookOptions Teams { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        (string Name, ChatWebhookOptions Options, string Example)[] media =
        [
            (nameof(Slack), Slack, "https://hooks.slack.com/services/…"),
            (nameof(Discord), Discord, "https://discord.com/api/webhooks/…"),
            (nameof(Teams), Teams, "the HTTP POST URL of a Teams Workflows \"webhook request\" trigger"),
        ];
        foreach (var (name, options, example) in media)
        {
            if (Problem(options.WebhookUrl) is { } problem)
            {
                // The value is a credential, so the message says what is wrong with it without repeating it.
                yield return new ValidationResult(
                    $"Channels:Chat:{name}:WebhookUrl {problem}: paste the whole incoming-webhook URL ({example}), or leave it empty to turn {name} off.",
                    [$"{name}.{nameof(ChatWebhookOptions.WebhookUrl)}"]);
            }
        }
    }

    /// <summary>The configured URL, or null when the medium is off.</summary>
    internal static Uri? Parse(string? webhookUrl) =>
        string.IsNullOrWhiteSpace(webhookUrl) || Problem(webhookUrl) is not null ? null : new Uri(webhookUrl.Trim(), UriKind.Absolute);

    private static string? Problem(string? webhookUrl)
    {
        if (string.IsNullOrWhiteSpace(webhookUrl))
        {
            return null;
        }
        if (!Uri.TryCreate(webhookUrl.Trim(), UriKind.Absolute, out var uri) || uri.IsFile || uri.IsUnc)
        {
            return "is not an absolute URL";
        }
        // Plain http would send the credential in clear; a loopback fake is the one place it never leaves the machine.
        if (uri.Scheme != Uri.UriSchemeHttps && !(uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback))
        {
            return $"must use https, not {uri.Scheme}";
        }
        if (uri.UserInfo.Length > 0)
        {
            return "must not contain a user name or password";
        }
        return null;
    }
}

public sealed class ChatWebhookOptions
{
    /// <summary>The incoming-webhook URL. It is the credential: anyone who has it can post.</summary>
    public string WebhookUrl { get; set; } = "";
}
