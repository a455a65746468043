namespace CommsHub.Core.Components;

/// <summary>
/// The order the page shows components in, and what <c>position</c> means: a group sits where its
/// first member would be, with all its members right after it (as <c>StatusPage.Api.ComponentLayout</c>
/// lays them out), and a component's position is its place among the members of its own group
/// (ungrouped components count among themselves). Stored <see cref="Component.Position"/> is one
/// sequence over the whole page in this order, so every reader that orders by it, then by name, agrees.
/// </summary>
public static class ComponentOrder
{
    /// <summary>Components in page order.</summary>
    public static List<Component> Arrange(IEnumerable<Component> components)
    {
        var ordered = components.OrderBy(c => c.Position).ThenBy(c => c.Name, StringComparer.Ordinal).ThenBy(c => c.Id).ToList();
        var byGroup = ordered.ToLookup(c => GroupOf(c.Group) ?? "", StringComparer.Ordinal);
        var arranged = new List<Component>(ordered.Count);
        var placed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var component in ordered)
        {
            if (GroupOf(component.Group) is not { } group)
            {
                arranged.Add(component);
            }
            else if (placed.Add(group))
            {
                arranged.AddRange(byGroup[group]);
            }
        }
        return arranged;
    }

    /// <summary>Each component of <paramref name="arranged"/> with its place within its group.</summary>
    public static List<PlacedComponent> Place(IReadOnlyList<Component> arranged)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        return [.. arranged.Select(c =>
        {
            var key = GroupOf(c.Group) ?? "";
            counts[key] = counts.GetValueOrDefault(key) + 1;
            return new PlacedComponent(c, counts[key]);
        })];
    }

    /// <summary>
    /// Puts <paramref name="component"/> into <paramref name="arranged"/> (which does not hold it) at
    /// <paramref name="position"/> within its group: null or past the end is last of the group; a
    /// component alone in its group stays at <paramref name="fallbackIndex"/>, or goes last on the page.
    /// </summary>
    public static void Insert(List<Component> arranged, Component component, int? position, int? fallbackIndex)
    {
        var group = GroupOf(component.Group);
        var members = arranged.Where(c => GroupOf(c.Group) == group).ToList();
        int index;
        if (position is { } p && p <= members.Count)
        {
            index = arranged.IndexOf(members[Math.Max(p, 1) - 1]);
        }
        else if (members.Count > 0)
        {
            index = arranged.IndexOf(members[^1]) + 1;
        }
        else
        {
            index = Math.Min(fallbackIndex ?? arranged.Count, arranged.Count);
        }
        arranged.Insert(index, component);
    }

    /// <summary>Numbers the page 1, 2, 3…: a clean sequence with no gaps or ties. Only changed rows are written.</summary>
    public static void Renumber(IReadOnlyList<Component> arranged)
    {
        for (var i = 0; i < arranged.Count; i++)
        {
            if (arranged[i].Position != i + 1)
            {
                arranged[i].Position = i + 1;
            }
        }
    }

    /// <summary>A blank group is no group.</summary>
    public static string? GroupOf(string? group) => string.IsNullOrWhiteSpace(group) ? null : group.Trim();
}
