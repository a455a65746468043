using CommsHub.Core.Common;

namespace CommsHub.Core.Campaigns;

/// <summary>
/// A list of people to reach once: imported from a customer CSV, or taken from an incident's subscribers when a
/// campaign is created. Its members are not subscribers: they never opted in, so nothing but a campaign reaches them.
/// </summary>
public sealed class Audience
{
    public Guid Id { get; init; } = Ids.New();

    /// <summary>Where it came from: <c>csv</c>, or <c>incident:&lt;id&gt;</c>.</summary>
    public required string Source { get; init; }

    public int Count { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>One person of an audience, with an email, a phone number or both (normalised as subscribers' are).</summary>
public sealed class AudienceMember
{
    public Guid Id { get; init; } = Ids.New();
    public Guid AudienceId { get; init; }

    /// <summary>The company's own id for the customer: what a redemption answers with.</summary>
    public required string ExternalId { get; init; }

    public string? Email { get; init; }
    public string? Phone { get; init; }
    public string? Name { get; init; }
    public string? Locale { get; init; }
}
