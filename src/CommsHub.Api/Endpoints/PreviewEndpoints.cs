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
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CommsHub.Api.Endpoints;

/// <summary>
/// What an update would send on every medium it would reach, rendered by the same code that
/// sends: with lengths, segments and encodings. Nothing is sent or stored.
/// </summary>
public static class PreviewEndpoints
{
    public static RouteGroupBuilder MapPreviewEndpoints(this RouteGroupBuilder incidents)
    {
        incidents.MapPost("/{id:guid}/updates/preview", Preview);
        return incidents;
    }

    private static async Task<Results<Ok<JsonObject>, NotFound>> Preview(Guid id, CreateUpdateRequest request, IncidentService incidents,
        CommsHubDbContext db, IEnumerable<ISocialNetwork> social, IEnumerable<IChatWebhook> chat, IOptions<SmsOptions> sms,
        IOptions<CommsHubOptions> options, TimeProvider time, CancellationToken ct)
    {
        var preview = await incidents.PreviewAsync(id, request, ct);
        if (preview is null)
        {
            return TypedResults.NotFound();
        }
        var o = options.Value;
        var (incident, update, components) = preview;
        var content = new UpdateContent(o.PageName, o.Link("/"), incident.Id, incident.Title, o.Link($"/incidents/{incident.Id}"),
            update.Status, incident.Impact, update.Message, update.CreatedAt, components);
        bool Reaches(Channel c) => update.Notify && (update.Channels.Count == 0 || update.Channels.Contains(c));

        var result = new JsonObject();
        if (Reaches(Channel.Email))
        {
            var email = EmailRenderer.Render(content);
            result["email"] = new JsonObject { ["subject"] = email.Subject, ["text"] = email.Text, ["html"] = email.Html };
        }
        if (Reaches(Channel.Sms))
        {
            var text = SmsRenderer.Render(content, sms.Value.MaxSegments);
            result["sms"] = new JsonObject { ["body"] = text.Body, ["segments"] = text.Segments, ["encoding"] = text.Encoding, ["length"] = text.Length };
        }
        if (Reaches(Channel.Social))
        {
            var followUp = incident.Updates.Count > 1;
            foreach (var network in social.Where(n => n.IsConfigured))
            {
                var text = network.Render(content, followUp);
                result[network.Name] = new JsonObject { ["text"] = text.Text, ["length"] = text.Length, ["limit"] = text.Limit };
            }
        }
        if (Reaches(Channel.Chat))
        {
            foreach (var target in chat.Where(c => c.IsConfigured))
            {
                result[target.Name] = new JsonObject { ["body"] = JsonNode.Parse(target.RenderBody(content)) };
            }
        }
        if (Reaches(Channel.Webhook))
        {
            var names = await db.Components.AsNoTracking().ToDictionaryAsync(c => c.Id, c => c.Name, ct);
            var statuses = await db.Components.AsNoTracking().Select(c => new { c.Id, c.Status }).ToListAsync(ct);
            var after = statuses.Select(s => update.ComponentChanges.FirstOrDefault(c => c.ComponentId == s.Id)?.NewStatus ?? s.Status);
            var openImpacts = await db.Incidents.AsNoTracking()
                .Where(i => i.Id != incident.Id && i.Status != IncidentStatus.Resolved && i.Status != IncidentStatus.Postmortem)
                .Select(i => i.Impact).ToListAsync(ct);
            if (incident.IsOpen)
            {
                openImpacts.Add(incident.Impact);
            }
            var body = StatuspageWebhookBody.From(incident, update, names, PageStatus.From(openImpacts, after), o.PublicBaseUrl, content.IncidentUrl, time.GetUtcNow());
            result["webhook"] = new JsonObject { ["body"] = JsonNode.Parse(body.For("(each subscriber's own unsubscribe link)")) };
        }
        return TypedResults.Ok(result);
    }
}
