using System.Text.Json.Nodes;
using CommsHub.Api.Endpoints;
using CommsHub.Api.Website;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Hosting;
using CommsHub.Core.Incidents;
using CommsHub.Core.StatusPage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CommsHub.Api.OperatorConsole.Pages.Compose;

/// <summary>
/// The compose page's preview: the same validation and the same renderer as
/// <c>POST /api/incidents/preview</c> and <c>…/{id}/updates/preview</c>, the status page as its own
/// renderer would draw the incident, and the warnings an operator should see before sending.
/// Built per request with ActivatorUtilities (it needs only scoped services).
/// </summary>
internal sealed class ComposePreviewer(CommsHubDbContext db, IncidentService incidents, UpdatePreviewRenderer renderer,
    IOptions<CommsHubOptions> hub, IOptions<StatusPageOptions> statusPage, TimeProvider time)
{
    /// <summary>Audiences are counted up to here: enough to tell "nobody" and "a few" from "many" without counting a huge table.</summary>
    public const int AudienceCap = 1000;

    /// <summary>Channels whose audience is subscribers (social and chat post to the page's own accounts).</summary>
    private static readonly Channel[] SubscriberChannels = [Channel.Email, Channel.Sms, Channel.Webhook];

    public static ComposePreviewer Create(IServiceProvider services) => ActivatorUtilities.CreateInstance<ComposePreviewer>(services,
        ActivatorUtilities.CreateInstance<UpdatePreviewRenderer>(services));

    public async Task<ComposePreviewModel> PreviewAsync(ComposeInput input, ComposeTarget target, CancellationToken ct)
    {
        if (target.Missing is not null)
        {
            return ComposePreviewModel.Failed(target.Missing, null);
        }
        UpdatePreview preview;
        try
        {
            preview = target.Mode switch
            {
                ComposeMode.NewIncident or ComposeMode.Draft => await incidents.PreviewNewAsync(input.ToCreate(draft: false), ct),
                ComposeMode.Update => (await incidents.PreviewAsync(target.Incident!.Id, input.ToUpdate(), ct))!,
                _ => (await incidents.PreviewAsync(target.Incident!.Id, CorrectionRequest(input, target.Update!), ct))!,
            };
        }
        catch (ValidationException ex)
        {
            return ComposePreviewModel.Failed("Fill in the fields marked below to see the preview.", ex.Errors);
        }
        if (target.Mode == ComposeMode.Correction)
        {
            // Sent with the prefix UpdateContentLoader gives a correction; the preview update stands in for it.
            preview.Update.Message = "Correction: " + preview.Update.Message;
        }
        var media = await renderer.RenderAsync(preview, isFollowUp: preview.Incident.Updates.Count > 1, ct);
        var componentIds = AffectedComponents(input, target, preview);
        var audience = preview.Update.Notify ? await AudienceAsync(preview.Update, componentIds, ct) : [];
        var model = new ComposePreviewModel(media, await StatusPageAsync(preview, target, input, ct), Warnings(media, preview, target, componentIds, audience),
            audience, preview.Update.Notify, target.ThreadPosition, null, null);
        return model;
    }

    private static CreateUpdateRequest CorrectionRequest(ComposeInput input, IncidentUpdate update) => new(
        input.Message, update.Status.ToWire(), Components: null,
        Channels: update.Channels.Count == 0 ? null : [.. update.Channels.Select(c => c.ToWire())], Notify: input.Notify);

    /// <summary>The components the incident will touch once sent: the planner reads the incident's, so the ones it has plus the ones chosen.</summary>
    private static List<Guid> AffectedComponents(ComposeInput input, ComposeTarget target, UpdatePreview preview)
    {
        var ids = preview.Update.ComponentChanges.Select(c => c.ComponentId).ToHashSet();
        if (target.Incident is not null && target.Mode != ComposeMode.Draft)
        {
            ids.UnionWith(target.Incident.Components.Select(c => c.ComponentId));
        }
        return [.. ids];
    }

    /// <summary>Confirmed subscribers per channel the update reaches, by the fan-out's own rule, each counted to at most <see cref="AudienceCap"/> + 1.</summary>
    private async Task<List<AudienceCount>> AudienceAsync(IncidentUpdate update, List<Guid> componentIds, CancellationToken ct)
    {
        var counts = new List<AudienceCount>();
        foreach (var channel in SubscriberChannels.Where(c => update.Channels.Count == 0 || update.Channels.Contains(c)))
        {
            // Ordered only so the capped count says which rows it stops at (EF warns of a limit without an order); the
            // (channel, status, id) index serves it.
            var count = await AudiencePlanner.Audience(db, channel, componentIds).OrderBy(s => s.Id).Take(AudienceCap + 1).CountAsync(ct);
            counts.Add(new AudienceCount(channel, count, count > AudienceCap));
        }
        return counts;
    }

    private static List<string> Warnings(JsonObject media, UpdatePreview preview, ComposeTarget target, List<Guid> componentIds, List<AudienceCount> audience)
    {
        var warnings = new List<string>();
        foreach (var (name, node) in media)
        {
            if (node?["cut"]?.GetValue<string>() is not { } cut)
            {
                continue;
            }
            warnings.Add(name switch
            {
                "sms" => $"The SMS is cut short: “{cut}” would be left out.",
                _ when node["limit"] is { } limit => $"The {name} post is over its limit of {limit} characters: “{cut}” would be left out.",
                _ => $"The {name} message is cut to fit: “{cut}” would be left out.",
            });
        }
        if (target.Mode != ComposeMode.Correction && preview.Incident.Impact is Impact.Major or Impact.Critical && componentIds.Count == 0)
        {
            warnings.Add($"The impact is {preview.Incident.Impact.ToWire()} but no component is chosen: the status page will not show what is affected.");
        }
        if (!preview.Update.Notify)
        {
            warnings.Add("Notify is off: nothing will be sent, the update is on the status page only.");
        }
        else if (audience.Count > 0 && audience.All(a => a.Count == 0))
        {
            warnings.Add("No confirmed subscriber would receive this: the audience of every chosen subscriber channel is zero.");
        }
        return warnings;
    }

    /// <summary>The incident's public page as it would stand after this update (a correction: with the update's text replaced).</summary>
    private async Task<string> StatusPageAsync(UpdatePreview preview, ComposeTarget target, ComposeInput input, CancellationToken ct)
    {
        var incident = preview.Incident;
        if (target.Mode == ComposeMode.Correction)
        {
            incident.Updates.Remove(preview.Update);
            var corrected = incident.Updates.First(u => u.Id == target.Update!.Id);
            corrected.Message = input.Message.Trim();
            corrected.EditedAt = time.GetUtcNow();
        }
        incident.Updates.RemoveAll(u => !u.Public);
        var names = await db.Components.IgnoreQueryFilters().AsNoTracking().ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        var o = statusPage.Value;
        var now = time.GetUtcNow();
        var page = new PageInfo("preview", hub.Value.PageName, hub.Value.Link("/").TrimEnd('/'), o.TimeZone, o.LogoUrl, now);
        var data = new StatusData(page, PageStatus.From([incident.Impact], []), [], [], now);
        var html = StatusPageHtml.Incident(data, StatusDataLoader.ToData(incident, names, hub.Value.Link($"/incidents/{incident.Id}")),
            TimeZoneInfo.FindSystemTimeZoneById(o.TimeZone));
        // A preview does not refresh itself: without script (as in the sandboxed frame) the page would reload every minute.
        return html.Replace("<noscript><meta http-equiv=\"refresh\" content=\"60\"></noscript>", "", StringComparison.Ordinal);
    }
}

public sealed record AudienceCount(Channel Channel, int Count, bool AtLeast);

/// <param name="Media">The renderer's answer: one entry per medium the update reaches.</param>
/// <param name="Problem">Why there is no preview (fields to fill in, an incident that does not exist).</param>
public sealed record ComposePreviewModel(JsonObject? Media, string? StatusPageHtml, IReadOnlyList<string> Warnings,
    IReadOnlyList<AudienceCount> Audience, bool Notify, int ThreadPosition, string? Problem, IDictionary<string, string[]>? Errors)
{
    public static ComposePreviewModel Failed(string problem, IDictionary<string, string[]>? errors) =>
        new(null, null, [], [], true, 1, problem, errors);
}
