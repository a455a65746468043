using CommsHub.Core.Campaigns;

namespace CommsHub.Api.OperatorConsole.Pages.Campaigns;

/// <summary>Where a new campaign's audience comes from: an audience already imported, a CSV uploaded with the form, or an incident's subscribers.</summary>
public enum AudienceSource { List, Csv, Incident }

/// <summary>Where its codes come from: none, a pool already imported, or a file uploaded with the form.</summary>
public enum PoolSource { None, Pool, Csv }

/// <summary>
/// The new-campaign form as posted (multipart: it may carry the audience's and the codes' files), read from the
/// raw form so an unreadable id or a repeated checkbox is never a binding error. Everything it cannot decide
/// itself is left to <see cref="CampaignService.CreateAsync"/>, whose field errors the page shows.
/// </summary>
public sealed class CampaignInput
{
    public const string AudienceFile = "audienceFile";
    public const string CodesFile = "codesFile";

    public string Kind { get; set; } = "compensation";
    public string? Title { get; set; }
    public string? Message { get; set; }
    public List<string> Channels { get; set; } = ["email"];
    public AudienceSource Audience { get; set; } = AudienceSource.Csv;
    public string? AudienceId { get; set; }
    public string? AudienceIncidentId { get; set; }
    public PoolSource Pool { get; set; } = PoolSource.None;
    public string? CodePoolId { get; set; }
    public string? IncidentId { get; set; }

    /// <summary>True to send at <see cref="SendAt"/> (a <c>datetime-local</c> in the operator's zone) once Send is pressed; false to send when it is pressed.</summary>
    public bool Scheduled { get; set; }

    public string? SendAt { get; set; }

    public static CampaignInput FromForm(IFormCollection form) => new()
    {
        Kind = form["kind"].ToString(),
        Title = form["title"],
        Message = form["message"],
        Channels = form["channels"].Where(c => !string.IsNullOrEmpty(c)).Select(c => c!).ToList(),
        Audience = Enum.TryParse<AudienceSource>(form["audienceSource"], ignoreCase: true, out var audience) ? audience : AudienceSource.List,
        AudienceId = form["audienceId"],
        AudienceIncidentId = form["audienceIncidentId"],
        Pool = Enum.TryParse<PoolSource>(form["poolSource"], ignoreCase: true, out var pool) ? pool : PoolSource.None,
        CodePoolId = form["codePoolId"],
        IncidentId = form["incidentId"],
        Scheduled = form["when"] == "at",
        SendAt = form["sendAt"],
    };

    /// <summary>An uploaded file, once imported, is chosen as the audience or pool it became: a form shown again keeps it, and never imports it twice.</summary>
    public void UseImported(Guid? audienceId, Guid? poolId)
    {
        if (audienceId is { } audience)
        {
            Audience = AudienceSource.List;
            AudienceId = audience.ToString();
        }
        if (poolId is { } pool)
        {
            Pool = PoolSource.Pool;
            CodePoolId = pool.ToString();
        }
    }

    /// <summary>The API's request for what was chosen (a file not imported yet stands for no audience or pool).</summary>
    public CreateCampaignRequest ToRequest(DateTimeOffset? sendAt)
    {
        var audience = Audience switch
        {
            AudienceSource.Incident => new CampaignAudienceRequest(IncidentId: Id(AudienceIncidentId)),
            AudienceSource.List => new CampaignAudienceRequest(ListId: Id(AudienceId)),
            _ => new CampaignAudienceRequest(),
        };
        var pool = Pool == PoolSource.Pool ? Id(CodePoolId) : null;
        return new CreateCampaignRequest(Kind, Title, Message, Channels, audience, Id(IncidentId), pool, Scheduled ? sendAt : null);
    }

    private static Guid? Id(string? text) => Guid.TryParse(text, out var id) ? id : null;
}
