using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Incidents;

/// <summary>
/// Incident templates (as Statuspage has): words written calmly, to start an incident from under
/// stress. Validated as an incident would be, so an incident started from one only fails on what
/// changed since (a component deleted is left out).
/// </summary>
public sealed class IncidentTemplates(CommsHubDbContext db, TimeProvider time)
{
    public const int MaxNameLength = 200;

    private static readonly IncidentStatus[] IncidentStatuses =
        [IncidentStatus.Investigating, IncidentStatus.Identified, IncidentStatus.Monitoring, IncidentStatus.Resolved, IncidentStatus.Postmortem];

    public Task<List<IncidentTemplate>> ListAsync(CancellationToken cancellationToken) =>
        db.IncidentTemplates.AsNoTracking().OrderBy(t => t.Name).ThenBy(t => t.Id).ToListAsync(cancellationToken);

    public Task<IncidentTemplate?> GetAsync(Guid id, CancellationToken cancellationToken) =>
        db.IncidentTemplates.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, cancellationToken);

    public async Task<IncidentTemplate> CreateAsync(CreateTemplateRequest request, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        Required(request.Name, "name", MaxNameLength, errors);
        Required(request.Title, "title", IncidentService.MaxTitleLength, errors);
        Required(request.Message, "message", IncidentService.MaxMessageLength, errors);
        var status = ParseStatus(request.Status, errors);
        var impact = Parse<Impact>(request.Impact, "impact", errors);
        var components = await ValidateComponentsAsync(request.Components, errors, cancellationToken);
        errors.ThrowIfAny();

        var name = request.Name!.Trim();
        // Names are few; compared here so "Outage" and " outage" are one name whatever the database's collation.
        var existing = (await db.IncidentTemplates.AsNoTracking().Select(t => new { t.Id, t.Name }).ToListAsync(cancellationToken))
            .FirstOrDefault(t => string.Equals(t.Name.Trim(), name, StringComparison.OrdinalIgnoreCase));
        if (existing is not null)
        {
            throw new StateConflictException("Duplicate template.", $"A template named '{existing.Name}' already exists ({existing.Id}).",
                new Dictionary<string, object?> { ["existingId"] = existing.Id });
        }

        var template = new IncidentTemplate
        {
            Name = name,
            Title = request.Title!.Trim(),
            Message = request.Message!.Trim(),
            Status = status,
            Impact = impact,
            Components = components,
            CreatedAt = time.GetUtcNow(),
        };
        db.IncidentTemplates.Add(template);
        await db.SaveChangesAsync(cancellationToken);
        return template;
    }

    /// <returns>false for an unknown template.</returns>
    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken) =>
        await db.IncidentTemplates.Where(t => t.Id == id).ExecuteDeleteAsync(cancellationToken) > 0;

    /// <summary>
    /// The request with the template's fields filled in where the request leaves them out (given
    /// fields win, an empty component list included), and no template left to apply. Components the
    /// template names that were deleted since are left out. Without <c>templateId</c>, the request as is.
    /// </summary>
    public async Task<CreateIncidentRequest> ApplyAsync(CreateIncidentRequest request, CancellationToken cancellationToken)
    {
        if (request.TemplateId is not { } id)
        {
            return request;
        }
        var template = await GetAsync(id, cancellationToken)
            ?? throw new ValidationException(new Dictionary<string, string[]> { ["templateId"] = [$"no template has id {id}."] });
        var components = request.Components;
        if (components is null && template.Components.Count > 0)
        {
            var ids = template.Components.Select(c => c.Id).ToList();
            var live = await db.Components.Where(c => ids.Contains(c.Id)).Select(c => c.Id).ToListAsync(cancellationToken);
            components = [.. template.Components.Where(c => live.Contains(c.Id)).Select(c => new ComponentStatusRequest(c.Id, c.Status.ToWire()))];
        }
        return request with
        {
            Title = request.Title ?? template.Title,
            Message = request.Message ?? template.Message,
            Status = request.Status ?? template.Status?.ToWire(),
            Impact = request.Impact ?? template.Impact?.ToWire(),
            Components = components,
            TemplateId = null,
        };
    }

    private async Task<List<TemplateComponent>> ValidateComponentsAsync(List<ComponentStatusRequest>? components, FieldErrors errors,
        CancellationToken cancellationToken)
    {
        var result = new List<TemplateComponent>();
        if (components is not { Count: > 0 })
        {
            return result;
        }
        var ids = components.Where(c => c?.Id is not null).Select(c => c!.Id!.Value).Distinct().ToList();
        var known = (await db.Components.Where(c => ids.Contains(c.Id)).Select(c => c.Id).ToListAsync(cancellationToken)).ToHashSet();
        for (var i = 0; i < components.Count; i++)
        {
            var c = components[i];
            if (c?.Id is not { } componentId)
            {
                errors.Add($"components[{i}].id", "id is required.");
            }
            else if (!known.Contains(componentId))
            {
                errors.Add($"components[{i}].id", $"no component has id {componentId}.");
            }
            else if (result.Any(r => r.Id == componentId))
            {
                errors.Add($"components[{i}].id", $"component {componentId} is listed twice.");
            }
            else if (!Wire.TryParse<ComponentStatus>(c.Status, out var status))
            {
                errors.Add($"components[{i}].status", c.Status is null ? "status is required." : $"'{c.Status}' {Wire.OneOf<ComponentStatus>()}.");
            }
            else
            {
                result.Add(new TemplateComponent(componentId, status));
            }
        }
        return result;
    }

    private static void Required(string? text, string field, int max, FieldErrors errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            errors.Add(field, $"{field} is required.");
        }
        else if (text.Length > max)
        {
            errors.Add(field, $"{field} must be at most {max} characters.");
        }
    }

    private static IncidentStatus? ParseStatus(string? text, FieldErrors errors)
    {
        var status = Parse<IncidentStatus>(text, "status", errors);
        if (status is { } s && !IncidentStatuses.Contains(s))
        {
            errors.Add("status", $"'{text}' is a maintenance status; an incident's status must be one of: {string.Join(", ", IncidentStatuses.Select(x => x.ToWire()))}.");
            return null;
        }
        return status;
    }

    private static TEnum? Parse<TEnum>(string? text, string field, FieldErrors errors) where TEnum : struct, Enum
    {
        if (text is null)
        {
            return null;
        }
        if (Wire.TryParse<TEnum>(text, out var value))
        {
            return value;
        }
        errors.Add(field, $"'{text}' {Wire.OneOf<TEnum>()}.");
        return null;
    }
}
