using Microsoft.AspNetCore.Http.HttpResults;

namespace CommsHub.Api.OperatorConsole.Incidents;

/// <summary>The home's and the incident pages' services, and the fragments their live regions re-fetch.</summary>
internal static class IncidentConsoleSetup
{
    public static IServiceCollection AddIncidentConsole(this IServiceCollection services)
    {
        services.AddScoped<FanOuts>();
        services.AddScoped<IncidentAuthors>();
        services.AddSingleton<AuditChainState>();
        return services;
    }

    /// <summary>Each renders the same component its page does, so a live region and the page share one markup.</summary>
    public static IEndpointRouteBuilder MapIncidentConsole(this IEndpointRouteBuilder app)
    {
        var fragments = app.MapGroup("/console/fragments").RequireAuthorization(ConsolePolicies.Read).ExcludeFromDescription();
        fragments.MapGet("/fan-outs", () => new RazorComponentResult<FanOutList>());
        fragments.MapGet("/updates/{updateId:guid}/report", (Guid updateId) =>
            new RazorComponentResult<DeliveryReportView>(new { UpdateId = updateId }));
        fragments.MapGet("/audit-chain", () => new RazorComponentResult<AuditChainView>()).RequireAuthorization(ConsolePolicies.Admin);
        return app;
    }
}
