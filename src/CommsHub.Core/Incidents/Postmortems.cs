using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Hosting;
using CommsHub.Core.Messaging;
using CommsHub.Core.StatusPage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Incidents;

/// <summary>
/// Publishes an incident's postmortem: Markdown shown, rendered and sanitised, on its page, in the
/// feeds and in the API. Sending it to subscribers is an update of status <c>postmortem</c> off the
/// public timeline (the page shows the postmortem itself), so it travels the one publish path and
/// gets a delivery per subscriber and channel like any update; it says little and links to the page,
/// since no channel but the web can carry a long Markdown document.
/// </summary>
public sealed class Postmortems(CommsHubDbContext db, IncidentService incidents, OutboxSignal outbox, StatusChangeSignal statusChanged,
    TimeProvider time, IOptions<CommsHubOptions> hub)
{
    public const int MaxBodyLength = 100_000;
    public const int SummaryLength = 200;

    /// <returns>The incident, or null when no incident has this id.</returns>
    public async Task<Incident?> PublishAsync(Guid incidentId, PostmortemRequest request, string actor, CancellationToken cancellationToken)
    {
        var incident = await db.Incidents.Include(i => i.Components).Include(i => i.Updates).AsSplitQuery()
            .FirstOrDefaultAsync(i => i.Id == incidentId, cancellationToken);
        if (incident is null)
        {
            return null;
        }
        if (incident.Kind != IncidentKind.Incident)
        {
            throw new StateConflictException("A maintenance has no postmortem.", "Postmortems are written for incidents only.");
        }
        IncidentService.EnsurePublished(incident);
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(request.Body))
        {
            errors.Add("body", "body is required: the postmortem, in Markdown.");
        }
        else if (request.Body.Length > MaxBodyLength)
        {
            errors.Add("body", $"body must be at most {MaxBodyLength} characters; it has {request.Body.Length}.");
        }
        errors.ThrowIfAny();
        var notify = request.Notify == true;
        if (notify && incident.IsOpen)
        {
            // A postmortem update would close the incident: subscribers hear about it once it is resolved.
            throw new StateConflictException("The incident is not resolved.",
                "Resolve the incident before sending its postmortem to subscribers, or publish it without notify.");
        }

        var now = time.GetUtcNow();
        var body = request.Body!.Trim();
        var before = incident.PostmortemBody;
        var changed = before != body;
        if (changed)
        {
            incident.PostmortemBody = body;
            incident.PostmortemPublishedAt ??= now;
            incident.PostmortemUpdatedAt = now;
            incident.UpdatedAt = now;
        }
        // Once per text: a retried request does not mail everyone again; a replaced text can be sent when asked.
        var send = notify && (incident.PostmortemNotifiedAt is null || incident.PostmortemNotifiedAt < incident.PostmortemUpdatedAt);
        if (!changed && !send)
        {
            return incident;
        }
        if (!incident.IsOpen)
        {
            // Statuspage's meaning of the status: resolved, and its postmortem is out.
            incident.Status = IncidentStatus.Postmortem;
        }
        AuditLog.Append(db, now, actor, changed ? "incident.postmortem_published" : "incident.postmortem_sent", incident.Id.ToString(), new JsonObject
        {
            ["replaced"] = before is not null && changed,
            ["previousSha256"] = before is null ? null : Sha256(before),
            ["sha256"] = Sha256(body),
            ["length"] = body.Length,
            ["notify"] = send,
        });
        if (!send)
        {
            await IncidentCorrections.SavePublicChangeAsync(db, outbox, statusChanged, now, cancellationToken);
            return incident;
        }
        incident.PostmortemNotifiedAt = now;
        var message = $"The postmortem of this incident is published. {PostmortemMarkdown.Summary(body, SummaryLength)}\n\nRead it in full: {hub.Value.Link($"/incidents/{incident.Id}")}";
        await incidents.AppendAsync(incident, new UpdateDraft(IncidentStatus.Postmortem, message, [], [], Notify: true, Public: false), now, cancellationToken);
        return incident;
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
