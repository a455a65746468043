using CommsHub.Contracts;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Messaging;
using CommsHub.Core.StatusPage;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Components;

/// <summary>
/// Creates, changes, orders and deletes components. Each change commits with the outbox row that
/// tells every process's status page to refresh. Components are few (tens), so ordering reads and
/// renumbers them all.
/// </summary>
public sealed class ComponentService(CommsHubDbContext db, StatusChangeSignal changed, TimeProvider time)
{
    public const int MaxNameLength = 200;
    public const int MaxDescriptionLength = 2000;
    public const int MaxGroupLength = 200;

    /// <summary>Every component in page order.</summary>
    public async Task<List<PlacedComponent>> ListAsync(CancellationToken cancellationToken) =>
        ComponentOrder.Place(ComponentOrder.Arrange(await db.Components.AsNoTracking().ToListAsync(cancellationToken)));

    /// <returns>null for an unknown or deleted component.</returns>
    public async Task<PlacedComponent?> GetAsync(Guid id, CancellationToken cancellationToken) =>
        (await ListAsync(cancellationToken)).FirstOrDefault(p => p.Component.Id == id);

    public async Task<PlacedComponent> CreateAsync(CreateComponentRequest request, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        ValidateName(request.Name, errors);
        ValidateText(request.Description, "description", MaxDescriptionLength, errors);
        ValidateText(request.Group, "group", MaxGroupLength, errors);
        ValidatePosition(request.Position, errors);
        var status = ParseStatus(request.Status, errors) ?? ComponentStatus.Operational;
        errors.ThrowIfAny();

        var all = await db.Components.ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var component = new Component
        {
            Name = request.Name!.Trim(),
            Description = Blank(request.Description),
            Group = Blank(request.Group),
            Status = status,
            CreatedAt = now,
            UpdatedAt = now,
        };
        RefuseDuplicate(all, component);
        var arranged = ComponentOrder.Arrange(all);
        ComponentOrder.Insert(arranged, component, request.Position, fallbackIndex: null);
        ComponentOrder.Renumber(arranged);
        db.Components.Add(component);
        ComponentStatusHistory.Record(db, component.Id, component.Status, now);
        await CommitAsync(now, cancellationToken);
        return ComponentOrder.Place(arranged).Single(p => p.Component == component);
    }

    /// <returns>null for an unknown or deleted component.</returns>
    public async Task<PlacedComponent?> PatchAsync(Guid id, PatchComponentRequest request, CancellationToken cancellationToken)
    {
        var all = await db.Components.ToListAsync(cancellationToken);
        var component = all.FirstOrDefault(c => c.Id == id);
        if (component is null)
        {
            return null;
        }
        var errors = new FieldErrors();
        if (request.Name is not null)
        {
            ValidateName(request.Name, errors);
        }
        ValidateText(request.Description, "description", MaxDescriptionLength, errors);
        ValidateText(request.Group, "group", MaxGroupLength, errors);
        ValidatePosition(request.Position, errors);
        var status = ParseStatus(request.Status, errors);
        errors.ThrowIfAny();

        var arranged = ComponentOrder.Arrange(all);
        var index = arranged.IndexOf(component);
        var before = ComponentOrder.Place(arranged).Single(p => p.Component == component).Position;
        var oldGroup = component.Group;
        if (request.Name is not null)
        {
            component.Name = request.Name.Trim();
        }
        if (request.Description is not null)
        {
            component.Description = Blank(request.Description);
        }
        if (request.Group is not null)
        {
            component.Group = Blank(request.Group);
        }
        RefuseDuplicate(all, component);

        var sameGroup = string.Equals(oldGroup, component.Group, StringComparison.Ordinal);
        arranged.RemoveAt(index);
        // Regrouped without a position: last of its new group. Otherwise it keeps its place unless told.
        ComponentOrder.Insert(arranged, component, request.Position ?? (sameGroup ? before : null), sameGroup ? index : null);
        ComponentOrder.Renumber(arranged);

        var now = time.GetUtcNow();
        if (status is { } s && s != component.Status)
        {
            component.Status = s;
            ComponentStatusHistory.Record(db, component.Id, s, now);
        }
        component.UpdatedAt = now;
        await CommitAsync(now, cancellationToken);
        return ComponentOrder.Place(arranged).Single(p => p.Component == component);
    }

    /// <summary>
    /// Deletes a component: gone from the page, the public API and subscription choices, kept in
    /// the database (with its subscribers' choices) so past incidents still name it. The rest of its
    /// group closes up. Refused while an open incident or a maintenance not yet completed names it.
    /// </summary>
    /// <returns>false for an unknown or already deleted component.</returns>
    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        var all = await db.Components.ToListAsync(cancellationToken);
        var component = all.FirstOrDefault(c => c.Id == id);
        if (component is null)
        {
            return false;
        }
        var blocking = await db.Incidents.AsNoTracking()
            .Where(i => i.RetractedAt == null && i.Components.Any(c => c.ComponentId == id)
                        && (i.Kind == IncidentKind.Incident
                            ? i.Status != IncidentStatus.Resolved && i.Status != IncidentStatus.Postmortem
                            : i.Status != IncidentStatus.Completed))
            .OrderBy(i => i.CreatedAt)
            .Select(i => new { i.Id, i.Kind, i.Title })
            .FirstOrDefaultAsync(cancellationToken);
        if (blocking is not null)
        {
            var incident = blocking.Kind == IncidentKind.Incident;
            throw new StateConflictException("The component is in use.",
                incident
                    ? $"The open incident '{blocking.Title}' ({blocking.Id}) names this component; resolve the incident first."
                    : $"The maintenance '{blocking.Title}' ({blocking.Id}) names this component and is not completed; complete or cancel it, or take the component out of it, first.",
                new Dictionary<string, object?>
                {
                    [incident ? "incidentId" : "maintenanceId"] = blocking.Id,
                    [incident ? "incidentTitle" : "maintenanceTitle"] = blocking.Title,
                });
        }

        var now = time.GetUtcNow();
        component.DeletedAt = now;
        component.UpdatedAt = now;
        var arranged = ComponentOrder.Arrange(all);
        arranged.Remove(component);
        ComponentOrder.Renumber(arranged);
        await CommitAsync(now, cancellationToken);
        return true;
    }

    private async Task CommitAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        Outbox.Enqueue(db, new StatusPageChanged { ChangedAt = now }, now);
        await db.SaveChangesAsync(cancellationToken);
        changed.Notify();
    }

    /// <summary>Two components of one name in one group read as one on the page: the second is refused, naming the first.</summary>
    private static void RefuseDuplicate(IEnumerable<Component> all, Component component)
    {
        var group = ComponentOrder.GroupOf(component.Group);
        var existing = all.FirstOrDefault(c => c != component && ComponentOrder.GroupOf(c.Group) == group
                                               && string.Equals(c.Name.Trim(), component.Name, StringComparison.OrdinalIgnoreCase));
        if (existing is not null)
        {
            throw new StateConflictException("Duplicate component.",
                group is null
                    ? $"A component named '{existing.Name}' already exists outside any group ({existing.Id})."
                    : $"A component named '{existing.Name}' already exists in the group '{group}' ({existing.Id}).",
                new Dictionary<string, object?> { ["existingId"] = existing.Id });
        }
    }

    private static void ValidateName(string? name, FieldErrors errors)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            errors.Add("name", "name is required.");
        }
        else if (name.Length > MaxNameLength)
        {
            errors.Add("name", $"name must be at most {MaxNameLength} characters.");
        }
    }

    private static void ValidateText(string? value, string field, int max, FieldErrors errors)
    {
        if (value is not null && value.Length > max)
        {
            errors.Add(field, $"{field} must be at most {max} characters.");
        }
    }

    private static void ValidatePosition(int? position, FieldErrors errors)
    {
        if (position < 1)
        {
            errors.Add("position", "position is the place within the component's group, 1 for the first.");
        }
    }

    private static ComponentStatus? ParseStatus(string? text, FieldErrors errors)
    {
        if (text is null)
        {
            return null;
        }
        if (Wire.TryParse<ComponentStatus>(text, out var status))
        {
            return status;
        }
        errors.Add("status", $"'{text}' {Wire.OneOf<ComponentStatus>()}.");
        return null;
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
