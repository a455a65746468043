using System.Globalization;
using System.Text.Json.Nodes;
using CommsHub.Core.Common;

namespace CommsHub.Core.StatusPage.Api;

/// <summary>Which scheduled maintenances a document lists, as Statuspage's endpoints split them.</summary>
internal enum MaintenanceView { All, Upcoming, Active, UpcomingOrActive }

/// <summary>
/// The Statuspage v2 objects (page, component, incident, scheduled maintenance, incident update) for one snapshot.
/// Every operator-written string goes through <see cref="PublicText"/>: JSON could escape a control character,
/// but the widgets and pages that show these documents should not receive one.
/// </summary>
internal sealed class StatuspageJson(StatusData data)
{
    private readonly IReadOnlyList<StatuspageComponent> _components = ComponentLayout.Arrange(data.Page.Id, data.Components);

    private Dictionary<Guid, StatuspageComponent>? _byId;

    public JsonObject Page() => new()
    {
        ["id"] = data.Page.Id,
        ["name"] = PublicText.Clean(data.Page.Name),
        ["url"] = data.Page.Url,
        ["time_zone"] = data.Page.TimeZone,
        ["updated_at"] = Time(data.Page.UpdatedAt),
    };

    public JsonObject Status() => new()
    {
        ["indicator"] = data.Indicator.Indicator,
        ["description"] = data.Indicator.Description,
    };

    public JsonArray Components() => [.. _components.Select(Component)];

    public JsonArray Incidents(IEnumerable<IncidentData> incidents) => [.. incidents.Select(Incident)];

    public JsonArray Maintenances(MaintenanceView view) => [.. Select(view).Select(Maintenance)];

    /// <summary>
    /// Statuspage does not document an order: the full list is latest window first, like incidents;
    /// the upcoming and active ones soonest first, as a reader wants what comes next.
    /// </summary>
    private IEnumerable<MaintenanceData> Select(MaintenanceView view) => view switch
    {
        MaintenanceView.All => data.Maintenances.Take(StatuspageApi.MaintenanceLimit),
        MaintenanceView.Upcoming => data.UpcomingMaintenances,
        MaintenanceView.Active => data.ActiveMaintenances,
        MaintenanceView.UpcomingOrActive => data.ActiveMaintenances.Concat(data.UpcomingMaintenances),
        _ => throw new ArgumentOutOfRangeException(nameof(view)),
    };

    /// <summary>Statuspage's scheduled maintenance: its incident object with impact <c>maintenance</c>, then the window.</summary>
    private JsonObject Maintenance(MaintenanceData maintenance)
    {
        var json = Incident(maintenance.Incident);
        // Fields already present keep their place, so the order stays Statuspage's.
        json["monitoring_at"] = null;
        json["impact"] = "maintenance";
        json["scheduled_for"] = Time(maintenance.ScheduledFor);
        json["scheduled_until"] = Time(maintenance.ScheduledUntil);
        return json;
    }

    private JsonObject Component(StatuspageComponent component)
    {
        var json = new JsonObject
        {
            ["id"] = component.Id,
            ["name"] = PublicText.Clean(component.Name),
            ["status"] = component.Status.ToWire(),
            ["created_at"] = Time(component.CreatedAt),
            ["updated_at"] = Time(component.UpdatedAt),
            ["position"] = component.Position,
            ["description"] = PublicText.CleanOrNull(component.Description),
            ["showcase"] = component.Showcase,
            ["start_date"] = component.StartDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["group_id"] = component.GroupId,
            ["page_id"] = data.Page.Id,
            ["group"] = component.IsGroup,
            ["only_show_if_degraded"] = false,
        };
        if (component.MemberIds is { } members)
        {
            json["components"] = new JsonArray([.. members.Select(id => (JsonNode?)id)]);
        }
        return json;
    }

    private JsonObject Incident(IncidentData incident)
    {
        var id = Id(incident.Id);
        return new JsonObject
        {
            ["id"] = id,
            ["name"] = PublicText.Clean(incident.Title),
            ["status"] = incident.Status.ToWire(),
            ["created_at"] = Time(incident.CreatedAt),
            ["updated_at"] = Time(incident.UpdatedAt),
            ["monitoring_at"] = Time(incident.MonitoringAt),
            ["resolved_at"] = Time(incident.ResolvedAt),
            ["impact"] = incident.Impact.ToWire(),
            ["shortlink"] = incident.Shortlink,
            // Statuspage lets an operator backdate the start; ours always starts when it was opened.
            ["started_at"] = Time(incident.CreatedAt),
            ["page_id"] = data.Page.Id,
            ["incident_updates"] = new JsonArray([.. incident.Updates.Select(u => Update(id, u))]),
            ["components"] = new JsonArray([.. incident.Components.Select(c => AffectedComponent(incident, c))]),
            // Statuspage's incident object carries its postmortem in these six fields, null (or false) without one.
            ["postmortem_body"] = incident.Postmortem is { } p ? PublicText.Clean(p.Body) : null,
            ["postmortem_body_last_updated_at"] = Time(incident.Postmortem?.UpdatedAt),
            ["postmortem_ignored"] = false,
            ["postmortem_notified_subscribers"] = incident.Postmortem?.NotifiedAt is not null,
            ["postmortem_notified_twitter"] = false,
            ["postmortem_published_at"] = Time(incident.Postmortem?.PublishedAt),
        };
    }

    private static JsonObject Update(string incidentId, IncidentUpdateData update) => new()
    {
        ["id"] = Id(update.Id),
        ["status"] = update.Status.ToWire(),
        ["body"] = PublicText.Clean(update.Body),
        ["incident_id"] = incidentId,
        ["created_at"] = Time(update.CreatedAt),
        // Statuspage's own field for a changed update; a correction is one.
        ["updated_at"] = Time(update.EditedAt ?? update.CreatedAt),
        ["display_at"] = Time(update.CreatedAt),
        ["affected_components"] = update.AffectedComponents.Count == 0
            ? null
            : new JsonArray([.. update.AffectedComponents.Select(c => (JsonNode)new JsonObject
            {
                ["code"] = Id(c.Id),
                ["name"] = PublicText.Clean(c.Name),
                ["old_status"] = c.OldStatus.ToWire(),
                ["new_status"] = c.NewStatus.ToWire(),
            })]),
        ["deliver_notifications"] = true,
        // Statuspage's own Twitter fields: always present in its documents, never set by CommsHub.
        ["custom_tweet"] = null,
        ["tweet_id"] = null,
    };

    /// <summary>
    /// The page's own component object, so an incident shows the component's current status, group and
    /// position; a component deleted since keeps what the incident recorded about it.
    /// </summary>
    private JsonObject AffectedComponent(IncidentData incident, AffectedComponent affected)
    {
        _byId ??= _components.Where(c => c.SourceId is not null).ToDictionary(c => c.SourceId!.Value);
        return Component(_byId.TryGetValue(affected.Id, out var component)
            ? component
            : StatuspageComponent.Orphan(affected, incident.CreatedAt, incident.UpdatedAt));
    }

    internal static string Id(Guid id) => id.ToString("D");

    /// <summary>Statuspage's timestamp style: ISO 8601 with milliseconds, here always in UTC.</summary>
    internal static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string? Time(DateTimeOffset? time) => time is { } value ? Time(value) : null;
}
