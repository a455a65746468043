namespace CommsHub.Core.Campaigns;

/// <summary>Who a campaign reaches: an imported list, or the subscribers of an incident's components.</summary>
public sealed record CampaignAudienceRequest(Guid? ListId = null, Guid? IncidentId = null, List<Guid>? Components = null);

/// <summary>Enum values arrive as text so a bad one is a field error.</summary>
public sealed record CreateCampaignRequest(
    string? Kind,
    string? Title,
    string? Message,
    List<string>? Channels,
    CampaignAudienceRequest? Audience,
    Guid? IncidentId = null,
    Guid? CodePoolId = null,
    DateTimeOffset? SendAt = null);

public sealed record RedeemRequest(string? Code);

public sealed record RedemptionRecipient(string ExternalId);

public sealed record Redemption(string Code, RedemptionRecipient Recipient, DateTimeOffset RedeemedAt);

public sealed record CampaignReport(Guid CampaignId, int Audience, int CodesAssigned, int Redeemed,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Channels);

public sealed record CampaignResponse(Guid Id, string Kind, string Status, string Title, string Message, Guid? IncidentId,
    IReadOnlyList<string> Channels, Guid AudienceId, int Audience, Guid? CodePoolId, DateTimeOffset? SendAt, DateTimeOffset CreatedAt,
    DateTimeOffset? SentAt, DateTimeOffset? CancelledAt);
