using System.Security.Cryptography;
using System.Text;
using CommsHub.Core.Common;

namespace CommsHub.Core.StatusPage.Api;

/// <summary>One entry of Statuspage's flat <c>components</c> list: a real component or a synthesized group.</summary>
/// <param name="SourceId">Our component's id; null for a group, which exists only in this document.</param>
/// <param name="MemberIds">For a group, its members' ids; null for a component.</param>
internal sealed record StatuspageComponent(
    string Id, string Name, ComponentStatus Status, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int Position,
    string? Description, string? GroupId, Guid? SourceId, IReadOnlyList<string>? MemberIds)
{
    public bool IsGroup => MemberIds is not null;

    // Statuspage shows groups without their own uptime bar and with no start date (see its own documents).
    public bool Showcase => !IsGroup;

    public DateOnly? StartDate => IsGroup ? null : DateOnly.FromDateTime(CreatedAt.UtcDateTime);

    /// <summary>A component an incident recorded that is no longer on the page: it keeps the incident's view of it.</summary>
    public static StatuspageComponent Orphan(AffectedComponent affected, DateTimeOffset createdAt, DateTimeOffset updatedAt) =>
        new(StatuspageJson.Id(affected.Id), affected.Name, affected.Status, createdAt, updatedAt, 0, null, null, affected.Id, null);
}

/// <summary>
/// Our components carry a group name; Statuspage has group components. This turns the first into the
/// second: one group per distinct name, placed just before its members, numbered top to bottom.
/// </summary>
internal static class ComponentLayout
{
    // Worst first as a reader sees it: maintenance is planned, so any real outage outranks it.
    private static readonly ComponentStatus[] Severity =
    [
        ComponentStatus.Operational, ComponentStatus.UnderMaintenance, ComponentStatus.DegradedPerformance,
        ComponentStatus.PartialOutage, ComponentStatus.MajorOutage,
    ];

    public static IReadOnlyList<StatuspageComponent> Arrange(string pageId, IReadOnlyList<ComponentData> components)
    {
        var ordered = components
            .OrderBy(c => c.Position).ThenBy(c => c.Name, StringComparer.Ordinal).ThenBy(c => c.Id)
            .ToList();
        var byGroup = ordered.Where(c => GroupOf(c) is not null).ToLookup(c => GroupOf(c)!, StringComparer.Ordinal);

        var layout = new List<StatuspageComponent>(ordered.Count + byGroup.Count);
        var placed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var component in ordered)
        {
            if (GroupOf(component) is not { } group)
            {
                layout.Add(Member(component, groupId: null));
            }
            else if (placed.Add(group))
            {
                // A group sits where its first member would have been, with all its members right after it.
                var members = byGroup[group].ToList();
                var groupId = GroupId(pageId, group);
                layout.Add(Group(groupId, group, members));
                layout.AddRange(members.Select(m => Member(m, groupId)));
            }
        }
        return [.. layout.Select((entry, index) => entry with { Position = index + 1 })];
    }

    /// <summary>
    /// Stable across snapshots and restarts, so clients may keep a group's id: the first 12 hex digits
    /// (Statuspage ids are 12 characters) of SHA-256 over the page id and the group name.
    /// </summary>
    public static string GroupId(string pageId, string groupName) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(pageId + "\n" + groupName)))[..12];

    public static ComponentStatus Worst(IEnumerable<ComponentStatus> statuses) =>
        statuses.MaxBy(s => Array.IndexOf(Severity, s));

    private static string? GroupOf(ComponentData component) =>
        string.IsNullOrWhiteSpace(component.Group) ? null : component.Group;

    private static StatuspageComponent Member(ComponentData component, string? groupId) =>
        new(StatuspageJson.Id(component.Id), component.Name, component.Status, component.CreatedAt, component.UpdatedAt,
            component.Position, component.Description, groupId, component.Id, null);

    private static StatuspageComponent Group(string groupId, string name, IReadOnlyList<ComponentData> members) =>
        new(groupId, name, Worst(members.Select(m => m.Status)),
            members.Min(m => m.CreatedAt), members.Max(m => m.UpdatedAt), 0, null, null, null,
            [.. members.Select(m => StatuspageJson.Id(m.Id))]);
}
