using CommsHub.Core.Data;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommsHub.Api.OperatorConsole.Pages.Compose;

/// <summary>
/// The compose preview as a fragment, for the console script's <c>data-preview-src</c>: the form as
/// typed so far (with its antiforgery token, checked because the form is bound), answered with the
/// same component the page renders. Nothing is stored or sent.
/// </summary>
internal static class ComposeEndpoints
{
    public const string PreviewPath = "/console/compose/preview";

    public static IEndpointRouteBuilder MapComposePreview(this IEndpointRouteBuilder app)
    {
        app.MapPost(PreviewPath, PreviewAsync).RequireAuthorization(ConsolePolicies.Publish).ExcludeFromDescription();
        return app;
    }

    private static async Task<RazorComponentResult<ComposePreview>> PreviewAsync(IFormCollection form, CommsHubDbContext db,
        IServiceProvider services, CancellationToken ct)
    {
        var input = ComposeInput.FromForm(form);
        var target = await ComposeTarget.LoadAsync(db, input.IncidentId, input.CorrectId, ct);
        var model = await ComposePreviewer.Create(services).PreviewAsync(input, target, ct);
        return new RazorComponentResult<ComposePreview>(new { Model = model });
    }
}
