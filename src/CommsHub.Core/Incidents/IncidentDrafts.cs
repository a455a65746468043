using System.Text.Json;

namespace CommsHub.Core.Incidents;

/// <summary>A draft's first update, kept as the operator wrote it until the draft is published.</summary>
public static class IncidentDrafts
{
    public static string Write(CreateIncidentRequest request) =>
        JsonSerializer.Serialize(request with { Draft = null, TemplateId = null }, JsonSerializerOptions.Web);

    public static CreateIncidentRequest Read(Incident incident) =>
        incident.DraftUpdate is { } json
            ? JsonSerializer.Deserialize<CreateIncidentRequest>(json, JsonSerializerOptions.Web)!
            : new CreateIncidentRequest(incident.Title, null);
}
