using System.Text.Json.Serialization;
using CommsHub.Core.Common;

namespace CommsHub.Core.Incidents;

/// <summary>
/// A prepared incident (as Statuspage has): a title, a first message and optionally a status, an
/// impact and the components it names, so an operator under stress starts from words written calmly.
/// </summary>
public sealed class IncidentTemplate
{
    public Guid Id { get; init; } = Ids.New();
    public required string Name { get; set; }
    public required string Title { get; set; }
    public required string Message { get; set; }
    public IncidentStatus? Status { get; set; }
    public Impact? Impact { get; set; }

    /// <summary>The components the incident names, with the status it gives each.</summary>
    public List<TemplateComponent> Components { get; set; } = [];

    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>Stored as JSON; the status by name so the stored form survives a reordering of the enum.</summary>
public sealed record TemplateComponent(Guid Id, [property: JsonConverter(typeof(JsonStringEnumConverter<ComponentStatus>))] ComponentStatus Status);
