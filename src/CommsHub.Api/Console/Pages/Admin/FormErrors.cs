using CommsHub.Core.Common;

namespace CommsHub.Api.OperatorConsole.Pages.Admin;

/// <summary>
/// The outcome of one posted form: the Core service's field errors (keyed as the API names them) or its
/// conflict, shown next to the fields and in the summary at the top of the form.
/// </summary>
public sealed class FormErrors
{
    private IDictionary<string, string[]> _fields = new Dictionary<string, string[]>();

    /// <summary>The form these errors belong to (a page has many forms).</summary>
    public string? Form { get; private set; }

    /// <summary>A conflict with the resource's state (409 in the API), or the first field error.</summary>
    public string? Summary { get; private set; }

    /// <summary>The status the API would have answered.</summary>
    public int Status { get; private set; } = StatusCodes.Status200OK;

    public bool Any => Summary is not null;

    /// <summary>The refusal's exception type, as the API's audit entry names it.</summary>
    public string? Error { get; private set; }

    /// <summary>Runs the service call; Core's refusals become this form's errors instead of exceptions.</summary>
    /// <returns>True when the call succeeded.</returns>
    /// <param name="conflictField">The field a conflict is shown next to (a duplicate name), if any.</param>
    public async Task<bool> RunAsync(string form, Func<Task> action, string? conflictField = null)
    {
        try
        {
            await action();
            return true;
        }
        catch (ValidationException invalid)
        {
            Form = form;
            _fields = invalid.Errors;
            Summary = "Please correct the fields marked below: " + string.Join(" ", invalid.Errors.SelectMany(e => e.Value));
            Status = StatusCodes.Status400BadRequest;
            Error = nameof(ValidationException);
        }
        catch (StateConflictException conflict)
        {
            Fail(form, conflict.Message, conflictField);
            Status = StatusCodes.Status409Conflict;
            Error = nameof(StateConflictException);
        }
        return false;
    }

    /// <summary>An error the page finds itself (an unreadable date), for <paramref name="field"/> or the whole form.</summary>
    public void Fail(string form, string message, string? field = null, int status = StatusCodes.Status400BadRequest)
    {
        Form = form;
        Summary ??= message;
        Status = status;
        if (field is not null)
        {
            _fields = new Dictionary<string, string[]>(_fields) { [field] = [message] };
        }
    }

    /// <summary>This form's errors for a field and the fields under it (<c>scopes</c> takes <c>scopes[0]</c>).</summary>
    public string? For(string form, string field)
    {
        if (Form != form)
        {
            return null;
        }
        var messages = _fields.Where(e => e.Key == field || e.Key.StartsWith(field + "[", StringComparison.Ordinal)).SelectMany(e => e.Value).ToList();
        return messages.Count == 0 ? null : string.Join(" ", messages);
    }

    public bool IsFor(string form) => Form == form && Any;
}
