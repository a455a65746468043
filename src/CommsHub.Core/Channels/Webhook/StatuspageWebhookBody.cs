using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Incidents;
using CommsHub.Core.StatusPage;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Channels.Webhook;

/// <summary>
/// The body of an incident-update event in Atlassian Statuspage's subscriber-webhook shape, so
/// receivers written for Statuspage work unchanged: <c>meta</c>, <c>page</c>, then <c>incident</c>
/// with its updates, newest first. Everything but <c>meta.unsubscribe</c> is the same for every
/// subscriber, so it is built once per batch.
/// </summary>
public sealed class StatuspageWebhookBody
{
    private readonly JsonObject _template;

    private StatuspageWebhookBody(JsonObject template) => _template = template;

    public static string PageId(string publicBaseUrl) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(publicBaseUrl)))[..12];

    public static async Task<StatuspageWebhookBody?> BuildAsync(CommsHubDbContext db, Guid updateId, string publicBaseUrl, string incidentUrl,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var update = await db.IncidentUpdates.AsNoTracking().FirstOrDefaultAsync(u => u.Id == updateId, cancellationToken);
        if (update is null)
        {
            return null;
        }
        var incident = await db.Incidents.AsNoTracking().Include(i => i.Updates).ThenInclude(u => u.ComponentChanges)
            .AsSplitQuery().FirstAsync(i => i.Id == update.IncidentId, cancellationToken);
        // Deleted ones too: an update about a past incident still names what it touched.
        var componentNames = await db.Components.IgnoreQueryFilters().AsNoTracking().ToDictionaryAsync(c => c.Id, c => c.Name, cancellationToken);
        var page = await PageStatus.ComputeAsync(db, cancellationToken);
        return From(incident, update, componentNames, page, publicBaseUrl, incidentUrl, now);
    }

    /// <summary>The body for <paramref name="update"/> of <paramref name="incident"/> (whose Updates include it).</summary>
    public static StatuspageWebhookBody From(Incident incident, IncidentUpdate update, IReadOnlyDictionary<Guid, string> componentNames,
        PageIndicator page, string publicBaseUrl, string incidentUrl, DateTimeOffset now)
    {
        // The incident as it stood when this update was published: later updates are not in it.
        // Reminders are sent but are not on the public timeline; a reminder itself still carries its own text.
        var updates = incident.Updates.Where(u => u.CreatedAt <= update.CreatedAt && (u.Public || u.Id == update.Id)).OrderByDescending(u => u.CreatedAt).ThenByDescending(u => u.Id).ToList();

        var maintenance = incident.Kind == IncidentKind.Maintenance;
        var body = new JsonObject
        {
            ["meta"] = new JsonObject
            {
                ["unsubscribe"] = null,
                ["documentation"] = publicBaseUrl.TrimEnd('/') + "/docs/webhooks",
                ["generated_at"] = Time(now),
            },
            ["page"] = new JsonObject
            {
                ["id"] = PageId(publicBaseUrl),
                ["status_indicator"] = page.Indicator,
                ["status_description"] = page.Description,
            },
            ["incident"] = new JsonObject
            {
                ["backfilled"] = false,
                ["created_at"] = Time(incident.CreatedAt),
                ["impact"] = maintenance ? "maintenance" : incident.Impact.ToWire(),
                ["impact_override"] = null,
                ["monitoring_at"] = Time(updates.Where(u => u.Status == IncidentStatus.Monitoring).Select(u => (DateTimeOffset?)u.CreatedAt).Min()),
                ["postmortem_body"] = null,
                ["postmortem_body_last_updated_at"] = null,
                ["postmortem_ignored"] = false,
                ["postmortem_notified_subscribers"] = false,
                ["postmortem_notified_twitter"] = false,
                ["postmortem_published_at"] = null,
                ["resolved_at"] = Time(Incident.IsClosed(update.Status) ? incident.ResolvedAt : null),
                ["scheduled_auto_transition"] = maintenance && incident.AutoTransition,
                ["scheduled_for"] = Time(incident.ScheduledFor),
                ["scheduled_remind_prior"] = maintenance && incident.Reminders.Count > 0,
                ["scheduled_reminded_at"] = Time(incident.Updates.Where(u => !u.Public && u.CreatedAt <= update.CreatedAt).Select(u => (DateTimeOffset?)u.CreatedAt).Max()),
                ["scheduled_until"] = Time(incident.ScheduledUntil),
                ["shortlink"] = incidentUrl,
                ["status"] = update.Status.ToWire(),
                ["updated_at"] = Time(update.CreatedAt),
                ["id"] = incident.Id.ToString(),
                ["organization_id"] = null,
                ["name"] = incident.Title,
                ["incident_updates"] = new JsonArray(updates.Select(u => (JsonNode)new JsonObject
                {
                    ["body"] = u.Message,
                    ["created_at"] = Time(u.CreatedAt),
                    ["display_at"] = Time(u.CreatedAt),
                    ["id"] = u.Id.ToString(),
                    ["incident_id"] = incident.Id.ToString(),
                    ["status"] = u.Status.ToWire(),
                    ["twitter_updated_at"] = null,
                    ["updated_at"] = Time(u.CreatedAt),
                    ["wants_twitter_update"] = false,
                    ["affected_components"] = new JsonArray(u.ComponentChanges.Select(c => (JsonNode)new JsonObject
                    {
                        ["code"] = c.ComponentId.ToString(),
                        ["name"] = componentNames.GetValueOrDefault(c.ComponentId, ""),
                        ["old_status"] = c.OldStatus.ToWire(),
                        ["new_status"] = c.NewStatus.ToWire(),
                    }).ToArray()),
                }).ToArray()),
            },
        };
        return new StatuspageWebhookBody(body);
    }

    public string For(string unsubscribeUrl)
    {
        var body = (JsonObject)_template.DeepClone();
        body["meta"]!["unsubscribe"] = unsubscribeUrl;
        return body.ToJsonString(JsonSerializerOptions.Web);
    }

    private static string? Time(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
