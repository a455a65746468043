using Microsoft.AspNetCore.Http.HttpResults;

namespace CommsHub.Api.OperatorConsole.Pages.Campaigns;

/// <summary>The fragments a campaign page's live header, report and preview re-fetch: the same components the page renders.</summary>
internal static class CampaignConsoleSetup
{
    public static IEndpointRouteBuilder MapCampaignConsole(this IEndpointRouteBuilder app)
    {
        app.MapGet("/console/fragments/campaigns/{campaignId:guid}/report", (Guid campaignId) =>
                new RazorComponentResult<CampaignReportView>(new { CampaignId = campaignId }))
            .RequireAuthorization(ConsolePolicies.Campaigns).ExcludeFromDescription();
        app.MapGet("/console/fragments/campaigns/{campaignId:guid}/header", (Guid campaignId, string? confirm) =>
                new RazorComponentResult<CampaignHeader>(new { CampaignId = campaignId, Confirm = confirm }))
            .RequireAuthorization(ConsolePolicies.Campaigns).ExcludeFromDescription();
        app.MapGet("/console/fragments/campaigns/{campaignId:guid}/preview", (Guid campaignId) =>
                new RazorComponentResult<CampaignPreviewView>(new { CampaignId = campaignId }))
            .RequireAuthorization(ConsolePolicies.Campaigns).ExcludeFromDescription();
        return app;
    }
}
