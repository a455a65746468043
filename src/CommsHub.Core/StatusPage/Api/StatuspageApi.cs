using System.Text.Json.Nodes;

namespace CommsHub.Core.StatusPage.Api;

/// <summary>
/// Atlassian Statuspage's public API v2 documents (<c>/api/v2/*.json</c>), built from the snapshot so
/// that widgets, monitors and aggregators written for Statuspage read CommsHub unchanged. Every call
/// builds fresh nodes: a <see cref="JsonNode"/> can only have one parent.
/// </summary>
public static class StatuspageApi
{
    /// <summary>Statuspage's <c>incidents.json</c> lists the 50 most recent incidents.</summary>
    public const int IncidentLimit = 50;

    /// <summary>Statuspage's <c>scheduled-maintenances.json</c> lists the 50 most recent maintenances.</summary>
    public const int MaintenanceLimit = 50;

    /// <summary><c>summary.json</c>: components, unresolved incidents, upcoming and in-progress maintenances, status.</summary>
    public static JsonObject Summary(StatusData data)
    {
        var json = new StatuspageJson(data);
        return new JsonObject
        {
            ["page"] = json.Page(),
            ["components"] = json.Components(),
            ["incidents"] = json.Incidents(data.Unresolved),
            ["scheduled_maintenances"] = json.Maintenances(MaintenanceView.UpcomingOrActive),
            ["status"] = json.Status(),
        };
    }

    /// <summary><c>status.json</c>.</summary>
    public static JsonObject Status(StatusData data)
    {
        var json = new StatuspageJson(data);
        return new JsonObject { ["page"] = json.Page(), ["status"] = json.Status() };
    }

    /// <summary><c>components.json</c>: groups and their members in one flat list, ordered by position.</summary>
    public static JsonObject Components(StatusData data)
    {
        var json = new StatuspageJson(data);
        return new JsonObject { ["page"] = json.Page(), ["components"] = json.Components() };
    }

    /// <summary><c>incidents.json</c>: the most recent incidents, resolved or not, newest first.</summary>
    public static JsonObject Incidents(StatusData data)
    {
        var json = new StatuspageJson(data);
        return new JsonObject { ["page"] = json.Page(), ["incidents"] = json.Incidents(data.Incidents.Take(IncidentLimit)) };
    }

    /// <summary><c>incidents/unresolved.json</c>.</summary>
    public static JsonObject UnresolvedIncidents(StatusData data)
    {
        var json = new StatuspageJson(data);
        return new JsonObject { ["page"] = json.Page(), ["incidents"] = json.Incidents(data.Unresolved) };
    }

    /// <summary><c>scheduled-maintenances.json</c>: the most recent maintenances, completed or not.</summary>
    public static JsonObject ScheduledMaintenances(StatusData data) => MaintenanceDocument(data, MaintenanceView.All);

    /// <summary><c>scheduled-maintenances/upcoming.json</c>: windows still in the <c>scheduled</c> state.</summary>
    public static JsonObject UpcomingMaintenances(StatusData data) => MaintenanceDocument(data, MaintenanceView.Upcoming);

    /// <summary><c>scheduled-maintenances/active.json</c>: windows <c>in_progress</c> or <c>verifying</c>.</summary>
    public static JsonObject ActiveMaintenances(StatusData data) => MaintenanceDocument(data, MaintenanceView.Active);

    private static JsonObject MaintenanceDocument(StatusData data, MaintenanceView view)
    {
        var json = new StatuspageJson(data);
        return new JsonObject { ["page"] = json.Page(), ["scheduled_maintenances"] = json.Maintenances(view) };
    }
}
