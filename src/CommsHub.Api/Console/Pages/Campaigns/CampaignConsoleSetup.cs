using Microsoft.AspNetCore.Http.HttpResults;

namespace CommsHub.Api.OperatorConsole.Pages.Campaigns;

/// <summary>The fragment a campaign page's live report re-fetches: the same component the page renders.</summary>
internal static class CampaignConsoleSetup
{
    public static IEndpointRouteBuilder MapCampaignConsole(this IEndpointRouteBuilder app)
    {
        app.MapGet("/console/fragments/campaigns/{campaignId:guid}/report", (Guid campaignId) =>
                new RazorComponentResult<CampaignReportView>(new { CampaignId = campaignId }))
            .RequireAuthorization(ConsolePolicies.Campaigns).ExcludeFromDescription();
        return app;
    }
}
