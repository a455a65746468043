using Microsoft.AspNetCore.Components;

namespace CommsHub.Api.OperatorConsole.Pages.Admin;

/// <summary>
/// What the components, maintenances, keys and operators pages share: each posted form is checked for its scope
/// on the server, runs one Core service call, is audited like the API call it mirrors, and on success
/// redirects (Post/Redirect/Get) with a notice; on a refusal the page renders again with the errors.
/// </summary>
public abstract class AdminPage : ComponentBase
{
    [CascadingParameter] protected HttpContext HttpContext { get; set; } = default!;

    [Inject] protected NavigationManager Navigation { get; set; } = default!;

    /// <summary>Which success to announce after the redirect; each page maps it to its own wording.</summary>
    [SupplyParameterFromQuery] protected string? Notice { get; set; }

    protected FormErrors Errors { get; } = new();

    /// <summary>Set when a posted form needed a scope the session lacks: the page then shows only the 403 notice.</summary>
    protected string? RefusedScope { get; private set; }

    protected CancellationToken Aborted => HttpContext.RequestAborted;

    protected bool Can(string scope) => ConsoleAccess.Grants(HttpContext.User, scope);

    /// <summary><c>aria-invalid</c> for a field: "true" while it has an error, absent otherwise.</summary>
    protected string? Invalid(string form, string field) => Errors.For(form, field) is null ? null : "true";

    /// <summary><c>aria-describedby</c> for a field: its error's id while it has one.</summary>
    protected string? DescribedBy(string form, string field, string errorId) => Errors.For(form, field) is null ? null : errorId;

    /// <summary>Whether the page is being rendered again after this form failed (show what was typed, not what is stored).</summary>
    protected bool Failed(string form) => Errors.IsFor(form);

    /// <summary>For a form handler, first: false (and a 403 page, nothing changed) when the session lacks <paramref name="scope"/>.</summary>
    protected bool Allowed(string scope)
    {
        if (ConsoleAccess.Demand(HttpContext, scope))
        {
            return true;
        }
        RefusedScope = scope;
        return false;
    }

    /// <summary>Runs one change for a posted form.</summary>
    /// <param name="scope">The scope the change needs; without it nothing runs and the answer is 403.</param>
    /// <param name="method">The API method it mirrors, for the audit entry.</param>
    /// <param name="route">The API route it mirrors, for the audit entry.</param>
    /// <param name="action">The Core call; false when the thing it names no longer exists (the API's 404).</param>
    /// <param name="redirect">Where to go on success; null to render the page (a key's secret must not travel in a URL).</param>
    /// <param name="conflictField">The field a conflict (409 in the API) is shown next to.</param>
    /// <returns>True when the change was made.</returns>
    protected async Task<bool> ActAsync(string scope, string form, string method, string route, Guid? id, int okStatus, Func<Task<bool>> action,
        string? redirect, Func<string?>? location = null, string? conflictField = null)
    {
        if (!Allowed(scope))
        {
            return false;
        }
        var found = false;
        var ran = await Errors.RunAsync(form, async () => found = await action(), conflictField);
        if (ran && !found)
        {
            Errors.Fail(form, "It no longer exists: someone may have removed it meanwhile. The list below is up to date.", status: StatusCodes.Status404NotFound);
        }
        var done = ran && found;
        await ConsoleAudit.RecordAsync(HttpContext, method, route, id, done ? okStatus : Errors.Status, Errors.Error, done ? location?.Invoke() : null);
        if (done && redirect is not null)
        {
            Navigation.NavigateTo(redirect);
        }
        return done;
    }
}
