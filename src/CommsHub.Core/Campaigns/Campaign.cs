using CommsHub.Core.Common;

namespace CommsHub.Core.Campaigns;

public enum CampaignKind { Apology, Postmortem, Compensation, Custom }

public enum CampaignStatus { Draft, Scheduled, Sending, Sent, Cancelled }

/// <summary>
/// One message (Liquid <see cref="Title"/> and <see cref="Message"/>) to every member of an audience, once per
/// channel, each with a code of their own when it has a pool. Its id stands in its deliveries' <c>update_id</c>.
/// </summary>
public sealed class Campaign
{
    public Guid Id { get; init; } = Ids.New();
    public CampaignKind Kind { get; init; }
    public required string Title { get; init; }
    public required string Message { get; init; }
    public Guid? IncidentId { get; init; }
    public List<Channel> Channels { get; init; } = [];
    public Guid AudienceId { get; init; }
    public Guid? CodePoolId { get; init; }
    public DateTimeOffset? SendAt { get; set; }
    public CampaignStatus Status { get; set; } = CampaignStatus.Draft;
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? SentAt { get; set; }
    public DateTimeOffset? CancelledAt { get; set; }

    /// <summary>
    /// Its report as last counted (JSON, <see cref="CampaignTally"/>, counted by <see cref="Deliveries.DeliveryTallies"/>):
    /// what the console's live page reads, so watching a campaign of a million never counts a million rows a second.
    /// Null until first counted.
    /// </summary>
    public string? Tally { get; set; }

    /// <summary>When <see cref="Tally"/> was last claimed for a count; cleared by a redemption, so the next run counts again.</summary>
    public DateTimeOffset? TalliedAt { get; set; }
}
