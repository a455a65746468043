using CommsHub.Core.Common;

namespace CommsHub.Core.Campaigns;

/// <summary>
/// Codes imported to be handed out, each to one recipient only. They are handed out in their import order
/// (<see cref="PoolCode.Ordinal"/>): <see cref="Taken"/> is the pool's cursor, moved in the same transaction that records
/// the assignments (<see cref="CodeAssignment"/>), so taking a code writes one row (the assignment), not two.
/// </summary>
public sealed class CodePool
{
    public Guid Id { get; init; } = Ids.New();
    public int Count { get; set; }

    /// <summary>How many codes, from ordinal 1 on, have been handed out; the next to give is <c>Taken + 1</c>.</summary>
    public int Taken { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The codes still to give.</summary>
    public int Free => Count - Taken;
}

/// <summary>One code of a pool, numbered from 1 in the order of the imported file.</summary>
public sealed class PoolCode
{
    public Guid Id { get; init; } = Ids.New();
    public Guid PoolId { get; init; }
    public int Ordinal { get; init; }
    public required string Code { get; init; }
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
