namespace CommsHub.Core.Common;

/// <summary>Invalid input, with the field errors a client can act on. Mapped to a 400 problem.</summary>
public sealed class ValidationException(IDictionary<string, string[]> errors)
    : Exception("One or more fields are invalid.")
{
    public IDictionary<string, string[]> Errors { get; } = errors;
}

/// <summary>Collects field errors in the order they were found.</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public FieldErrors Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }
        list.Add(message);
        return this;
    }

    /// <summary>Runs a validation that throws, keeping its field errors with these instead.</summary>
    public async Task CollectAsync(Func<Task> validation)
    {
        try
        {
            await validation();
        }
        catch (ValidationException invalid)
        {
            foreach (var (field, messages) in invalid.Errors)
            {
                foreach (var message in messages)
                {
                    Add(field, message);
                }
            }
        }
    }

    public Dictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray());

    public void ThrowIfAny()
    {
        if (Any)
        {
            throw new ValidationException(ToDictionary());
        }
    }
}

/// <summary>The request is valid but conflicts with the resource's state (a maintenance already completed). Mapped to a 409 problem.</summary>
/// <param name="extensions">Members the problem carries besides its title and detail: what stands in the way (<c>existingId</c>, <c>incidentId</c>).</param>
public sealed class StateConflictException(string title, string detail, IReadOnlyDictionary<string, object?>? extensions = null) : Exception(detail)
{
    public string Title { get; } = title;
    public IReadOnlyDictionary<string, object?> Extensions { get; } = extensions ?? new Dictionary<string, object?>();
}
