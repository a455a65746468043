using System.Globalization;
using CommsHub.Core.Common;
using CommsHub.Core.Incidents;

namespace CommsHub.Api.OperatorConsole.Pages.Compose;

/// <summary>
/// The compose form as posted, read straight from the form (the page and the preview fragment read
/// it alike), and turned into the admin API's own request records so the Core services validate it.
/// Text left empty is "not given": a chosen template then fills it in, as <c>templateId</c> does in the API.
/// </summary>
internal sealed class ComposeInput
{
    /// <summary>The channels an operator can tick; all ticked is sent as "every configured channel" (the API's default).</summary>
    public static readonly Channel[] Choosable = [Channel.Email, Channel.Sms, Channel.Social, Channel.Chat, Channel.Webhook];

    public const string ComponentPrefix = "component-";

    public Guid? IncidentId { get; set; }
    public Guid? CorrectId { get; set; }
    public Guid? TemplateId { get; set; }
    public string Title { get; set; } = "";
    public string Message { get; set; } = "";
    public string Status { get; set; } = "investigating";
    public string Impact { get; set; } = "none";

    /// <summary>The components given a status, in the form's order (a field error's index points into it).</summary>
    public List<(Guid Id, string Status)> Components { get; set; } = [];

    public HashSet<string> Channels { get; set; } = [.. Choosable.Select(c => c.ToWire())];
    public bool Notify { get; set; } = true;

    /// <summary>A <c>datetime-local</c> value, in the operator's time zone.</summary>
    public string PublishAt { get; set; } = "";

    /// <summary>The button pressed: preview, apply-template, draft, publish, schedule or correct.</summary>
    public string Action { get; set; } = "preview";

    public static ComposeInput FromForm(IFormCollection form)
    {
        var input = new ComposeInput
        {
            IncidentId = Id(form["incident"]),
            CorrectId = Id(form["correct"]),
            TemplateId = Id(form["template"]),
            Title = form["title"].ToString(),
            Message = form["message"].ToString(),
            Status = form["status"].ToString(),
            Impact = form["impact"].ToString(),
            Channels = [.. form["channels"].Where(c => !string.IsNullOrEmpty(c)).Select(c => c!)],
            Notify = form.ContainsKey("notify"),
            PublishAt = form["publishAt"].ToString(),
            Action = form["action"].ToString() is { Length: > 0 } action ? action : "preview",
        };
        foreach (var (key, value) in form)
        {
            if (key.StartsWith(ComponentPrefix, StringComparison.Ordinal) && Guid.TryParse(key.AsSpan(ComponentPrefix.Length), out var id)
                && value.ToString() is { Length: > 0 } status)
            {
                input.Components.Add((id, status));
            }
        }
        return input;
    }

    public string? ComponentStatus(Guid id) => Components.FirstOrDefault(c => c.Id == id).Status;

    public CreateIncidentRequest ToCreate(bool draft) => new(Text(Title), Text(Message), Text(Status), Text(Impact),
        ComponentRequests(), ChannelRequest(), Notify, draft ? true : null, TemplateId);

    public CreateUpdateRequest ToUpdate(DateTimeOffset? publishAt = null) =>
        new(Text(Message), Text(Status), Text(Impact), ComponentRequests(), ChannelRequest(), Notify, publishAt);

    /// <summary>A draft is written over whole: every field as the form has it.</summary>
    public PatchIncidentRequest ToDraftPatch() => new(Title, Text(Impact), Message, Text(Status), ComponentRequests() ?? [], ChannelRequest(), Notify);

    /// <summary>Fills the form from a request (a template applied, or a draft opened again).</summary>
    public void Fill(CreateIncidentRequest request)
    {
        Title = request.Title ?? Title;
        Message = request.Message ?? Message;
        Status = request.Status ?? Status;
        Impact = request.Impact ?? Impact;
        if (request.Components is not null)
        {
            Components = [.. request.Components.Where(c => c.Id is not null).Select(c => (c.Id!.Value, c.Status ?? ""))];
        }
        if (request.Channels is not null)
        {
            Channels = [.. request.Channels];
        }
        Notify = request.Notify ?? Notify;
    }

    /// <summary>The publish time in UTC; null when left empty (the service then says it is required).</summary>
    public DateTimeOffset? PublishAtUtc(TimeZoneInfo zone)
    {
        if (string.IsNullOrWhiteSpace(PublishAt))
        {
            return null;
        }
        if (!DateTime.TryParse(PublishAt, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            throw new ValidationException(new Dictionary<string, string[]> { ["publishAt"] = [$"'{PublishAt}' is not a date and time."] });
        }
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(unspecified, zone), TimeSpan.Zero);
    }

    private List<ComponentStatusRequest>? ComponentRequests() =>
        Components.Count == 0 ? null : [.. Components.Select(c => new ComponentStatusRequest(c.Id, c.Status))];

    /// <summary>Every choosable channel ticked: left out, so the update reaches every configured channel (and none added later is missed).</summary>
    private List<string>? ChannelRequest() =>
        Choosable.All(c => Channels.Contains(c.ToWire())) ? null : [.. Channels];

    private static string? Text(string value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static Guid? Id(string? value) => Guid.TryParse(value, out var id) ? id : null;
}
