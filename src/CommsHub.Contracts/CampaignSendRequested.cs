namespace CommsHub.Contracts;

/// <summary>A campaign was sent (at once or at its time): plan its deliveries and codes.</summary>
public sealed record CampaignSendRequested
{
    public Guid CampaignId { get; init; }
}
