using CommsHub.Core.Common;

namespace CommsHub.Core.Campaigns;

/// <summary>Codes imported to be handed out, each to one recipient only.</summary>
public sealed class CodePool
{
    public Guid Id { get; init; } = Ids.New();
    public int Count { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// One code of a pool. <see cref="AssignedAt"/> is set in the same statement that assigns it to a recipient
/// (<see cref="CampaignCode"/>), so the free codes are an index scan, not an anti-join over every assignment.
/// </summary>
public sealed class PoolCode
{
    public Guid Id { get; init; } = Ids.New();
    public Guid PoolId { get; init; }
    public required string Code { get; init; }
    public DateTimeOffset? AssignedAt { get; set; }
}

/// <summary>
/// A code given to a recipient by a campaign. The primary key (campaign, member) gives each recipient one code;
/// the unique code id gives each code one recipient, across every campaign that draws on the pool.
/// </summary>
public sealed class CampaignCode
{
    public Guid CampaignId { get; init; }
    public Guid MemberId { get; init; }
    public Guid CodeId { get; init; }
    public DateTimeOffset AssignedAt { get; init; }
    public DateTimeOffset? RedeemedAt { get; set; }
}

/// <summary>An address that asked for no more campaigns (one click in a campaign email). Kept as a keyed hash, as suppressions are.</summary>
public sealed class CampaignOptOut
{
    public Channel Channel { get; init; }
    public required string AddressHash { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}
