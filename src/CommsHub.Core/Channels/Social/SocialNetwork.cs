using CommsHub.Core.Deliveries;
using CommsHub.Core.Incidents;
namespace CommsHub.Core.Channels.Social;

/// <summary>
/// One social account CommsHub posts incident updates to: one post per update, each follow-up a reply
/// to the incident's previous post so the incident reads as one thread.
/// </summary>
public interface ISocialNetwork
{
    /// <summary>"mastodon", "bluesky" or "x": the delivery's provider.</summary>
    string Name { get; }

    /// <summary>Credentials are present: an unconfigured network is off and gets no deliveries.</summary>
    bool IsConfigured { get; }

    /// <summary>Who posts, e.g. "mastodon:@status@mastodon.example": the delivery's recipient.</summary>
    string Account { get; }

    /// <summary>The post limit, in <see cref="SocialText.Length"/>'s unit.</summary>
    int Limit { get; }

    SocialText Render(UpdateContent content, bool isFollowUp);

    /// <param name="replyTo">The incident's thread, or null for its first post.</param>
    /// <param name="idempotencyKey">Stable across retries of one delivery (its id): a retry never posts twice.</param>
    Task<SocialPostResult> PostAsync(SocialText text, UpdateContent content, SocialThread? replyTo, string idempotencyKey, CancellationToken ct);
}

/// <summary>What a follow-up replies to: the incident's first post and its latest one (Bluesky names both).</summary>
public sealed record SocialThread(SocialPostRef Root, SocialPostRef Parent);

/// <summary>A rendered post and its length in the network's own unit (characters, graphemes or weighted characters).</summary>
/// <param name="Cut">The text left out to fit the limit (null when the post says everything).</param>
public sealed record SocialText(string Text, int Length, int Limit, string? Cut = null)
{
    public bool Truncated => Cut is not null;
}

/// <summary>The delivery outcome and, when the post exists, where it is (for the next reply).</summary>
public sealed record SocialPostResult(SendResult Result, SocialPostRef? Post);
