using System.Text.Json.Nodes;
using CommsHub.Core.Channels;
using CommsHub.Core.Channels.Chat;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Channels.Social;
using CommsHub.Core.Channels.Webhook;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Hosting;
using CommsHub.Core.Incidents;
using CommsHub.Core.StatusPage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CommsHub.Api.Endpoints;

/// <summary>
/// Renders a hypothetical update for every medium it would reach, with the code that sends it: the
/// update preview and the new incident's first-message preview answer in one shape. Each medium says
/// whether its limits cut the text (<c>truncated</c>) and what they left out (<c>cut</c>), so an
/// operator sees a dropped sentence before it goes out. Bound per request with [AsParameters].
/// </summary>
public sealed record UpdatePreviewRenderer(CommsHubDbContext Db, IEnumerable<ISocialNetwork> Social, IEnumerable<IChatWebhook> Chat,
    IOptions<SmsOptions> Sms, IOptions<CommsHubOptions> Options, TimeProvider Time)
{
    /// <param name="isFollowUp">A reply in the incident's social thread; false for an incident's first post.</param>
    public async Task<JsonObject> RenderAsync(UpdatePreview preview, bool isFollowUp, CancellationToken ct)
    {
        var o = Options.Value;
        var (incident, update, components) = preview;
        var content = new UpdateContent(o.PageName, o.Link("/"), incident.Id, incident.Title, o.Link($"/incidents/{incident.Id}"),
            update.Status, incident.Impact, update.Message, update.CreatedAt, components);
        bool Reaches(Channel c) => update.Notify && (update.Channels.Count == 0 || update.Channels.Contains(c));

        var result = new JsonObject();
        if (Reaches(Channel.Email))
        {
            // Email has no length limit: it always carries the whole message.
            var email = EmailRenderer.Render(content);
            result["email"] = Medium(new JsonObject { ["subject"] = email.Subject, ["text"] = email.Text, ["html"] = email.Html }, null);
        }
        if (Reaches(Channel.Sms))
        {
            var text = SmsRenderer.Render(content, Sms.Value.MaxSegments);
            result["sms"] = Medium(new JsonObject { ["body"] = text.Body, ["segments"] = text.Segments, ["encoding"] = text.Encoding, ["length"] = text.Length }, text.Cut);
        }
        if (Reaches(Channel.Social))
        {
            foreach (var network in Social.Where(n => n.IsConfigured))
            {
                var text = network.Render(content, isFollowUp);
                result[network.Name] = Medium(new JsonObject { ["text"] = text.Text, ["length"] = text.Length, ["limit"] = text.Limit }, text.Cut);
            }
        }
        if (Reaches(Channel.Chat))
        {
            foreach (var target in Chat.Where(c => c.IsConfigured))
            {
                var body = target.Render(content);
                result[target.Name] = Medium(new JsonObject { ["body"] = JsonNode.Parse(body.Json) }, body.Cut);
            }
        }
        if (Reaches(Channel.Webhook))
        {
            result["webhook"] = Medium(new JsonObject { ["body"] = await WebhookBodyAsync(preview, content, ct) }, null);
        }
        return result;
    }

    private static JsonObject Medium(JsonObject rendered, string? cut)
    {
        rendered["truncated"] = cut is not null;
        rendered["cut"] = cut;
        return rendered;
    }

    /// <summary>The Statuspage-shaped body, with the page status as it would stand after the update.</summary>
    private async Task<JsonNode?> WebhookBodyAsync(UpdatePreview preview, UpdateContent content, CancellationToken ct)
    {
        var (incident, update, _) = preview;
        var names = await Db.Components.AsNoTracking().ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        var statuses = await Db.Components.AsNoTracking().Select(c => new { c.Id, c.Status }).ToListAsync(ct);
        var after = statuses.Select(s => update.ComponentChanges.FirstOrDefault(c => c.ComponentId == s.Id)?.NewStatus ?? s.Status);
        // Counted as PageStatus.ComputeAsync counts when the update is sent: open public incidents, this one as it would stand.
        var openImpacts = await Db.Incidents.AsNoTracking().Where(Incident.IsPublic)
            .Where(i => i.Id != incident.Id && i.Kind == IncidentKind.Incident
                && i.Status != IncidentStatus.Resolved && i.Status != IncidentStatus.Postmortem && i.Status != IncidentStatus.Completed)
            .Select(i => i.Impact).ToListAsync(ct);
        if (incident.IsOpen && incident.Kind == IncidentKind.Incident)
        {
            openImpacts.Add(incident.Impact);
        }
        var o = Options.Value;
        var body = StatuspageWebhookBody.From(incident, update, names, PageStatus.From(openImpacts, after), o.PublicBaseUrl, content.IncidentUrl, Time.GetUtcNow());
        return JsonNode.Parse(body.For("(each subscriber's own unsubscribe link)"));
    }
}
