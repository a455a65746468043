using CommsHub.Core.Campaigns;

namespace CommsHub.Api.OperatorConsole.Pages.Campaigns;

/// <summary>How the console names campaign kinds and statuses (the wire names are for the API).</summary>
public static class CampaignTexts
{
    public static string Of(CampaignKind kind) => kind switch
    {
        CampaignKind.Apology => "Apology",
        CampaignKind.Postmortem => "Postmortem",
        CampaignKind.Compensation => "Compensation",
        _ => "Custom",
    };

    public static string Of(CampaignStatus status) => status switch
    {
        CampaignStatus.Draft => "Draft",
        CampaignStatus.Scheduled => "Scheduled",
        CampaignStatus.Sending => "Sending",
        CampaignStatus.Sent => "Sent",
        _ => "Cancelled",
    };
}
