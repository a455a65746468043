using System.Net;
using System.Text.Json.Nodes;
using CommsHub.Core.Channels;
using CommsHub.Core.Channels.Chat;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Hosting;
using CommsHub.Core.Maintenances;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Messaging;

namespace CommsHub.Core.Incidents;

public sealed class OperatorOptions
{
    public const string Section = "Operators";

    /// <summary>Who hears that an incident has gone quiet. <c>Operators:Emails:0</c>, … or one comma-separated value.</summary>
    public List<string> Emails { get; set; } = [];

    public IEnumerable<string> Addresses => Emails.SelectMany(e => e.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct(StringComparer.OrdinalIgnoreCase);
}

public sealed class IncidentReminderOptions
{
    /// <summary><c>Incidents:UpdateReminderAfter</c>: how long an unresolved incident may go without a public update.</summary>
    public TimeSpan UpdateReminderAfter { get; set; } = TimeSpan.FromMinutes(30);
}

/// <summary>
/// Nudges operators when an unresolved incident has had no public update for a while: regular
/// updates are what users value most during an outage. Once per interval per incident, until
/// someone posts; the claim on <see cref="Incident.OperatorRemindedAt"/> keeps two workers from both sending.
/// </summary>
public sealed class OperatorReminders(
    CommsHubDbContext db,
    OperatorNotifier notifier,
    OutboxSignal outbox,
    IOptions<IncidentReminderOptions> options,
    IOptions<CommsHubOptions> hub,
    TimeProvider time,
    ILogger<OperatorReminders> logger)
{
    public async Task<int> RemindAsync(CancellationToken cancellationToken)
    {
        var after = options.Value.UpdateReminderAfter;
        if (after <= TimeSpan.Zero)
        {
            return 0;
        }
        var now = time.GetUtcNow();
        var quietSince = now - after;
        var stale = await db.Incidents.AsNoTracking().Where(Incident.IsPublic)
            .Where(i => i.Kind == IncidentKind.Incident && i.Status != IncidentStatus.Resolved && i.Status != IncidentStatus.Postmortem)
            .Where(i => i.OperatorRemindedAt == null || i.OperatorRemindedAt <= quietSince)
            .Select(i => new { i.Id, i.Title, i.OperatorRemindedAt, LastUpdate = i.Updates.Where(u => u.Public).Max(u => (DateTimeOffset?)u.CreatedAt) ?? i.CreatedAt })
            .Where(i => i.LastUpdate <= quietSince)
            .ToListAsync(cancellationToken);

        var sent = 0;
        foreach (var incident in stale)
        {
            // Claim first: only the process whose update matched queues this interval's reminder, in the same transaction.
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            var claimed = await db.Incidents
                .Where(i => i.Id == incident.Id && i.OperatorRemindedAt == incident.OperatorRemindedAt)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.OperatorRemindedAt, now), cancellationToken);
            if (claimed == 0)
            {
                continue;
            }
            await SendAsync(incident.Id, incident.Title, now - incident.LastUpdate, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            outbox.Notify();
            sent++;
        }
        return sent;
    }

    private async Task SendAsync(Guid id, string title, TimeSpan quiet, CancellationToken cancellationToken)
    {
        var link = hub.Value.Link($"/incidents/{id}");
        var api = hub.Value.Link($"/api/incidents/{id}/updates");
        var subject = $"No update for {MaintenanceTexts.Duration(quiet)}: {title}";
        var text = $"The incident \"{title}\" is unresolved and its last public update was {MaintenanceTexts.Duration(quiet)} ago.\n\n"
                   + $"Users value regular news most during an outage, even \"still investigating\". Post an update: POST {api}\n\n{link}\n";
        var html = $"<p>The incident <strong>{WebUtility.HtmlEncode(title)}</strong> is unresolved and its last public update was "
                   + $"{MaintenanceTexts.Duration(quiet)} ago.</p><p>Users value regular news most during an outage, even “still investigating”. "
                   + $"Post an update: <code>POST {WebUtility.HtmlEncode(api)}</code></p><p><a href=\"{WebUtility.HtmlEncode(link)}\">{WebUtility.HtmlEncode(link)}</a></p>";

        var media = await notifier.NotifyAsync("incident.reminder", subject, text, html, $":hourglass: {subject}\n{text}", id, cancellationToken);
        if (media.Count == 0)
        {
            logger.LogWarning("Incident {IncidentId} has had no public update for {Quiet}; set Operators:Emails or a Slack webhook to be reminded", id, quiet);
        }
        else
        {
            logger.LogInformation("Reminding operators by {Media} that incident {IncidentId} needs an update", string.Join(" and ", media), id);
        }
    }
}

/// <summary>
/// Tells the operators something: by email to <c>Operators:Emails</c> and on the configured Slack
/// webhook. Shared by every operator notice (incident reminders, alerts). Each notice is a message of
/// kind <c>operator_notice</c>, sent by the one pipeline: retried, recorded and listed like any delivery.
/// </summary>
public sealed class OperatorNotifier(CommsHubDbContext db, OutboundMessages messages, OutboxSignal outbox, Accounts accounts, IOptions<OperatorOptions> operators)
{
    /// <summary>Queues the notice on every configured medium (committed with the context's other changes).</summary>
    /// <returns>The media it goes to (<c>email</c>, <c>slack</c>); none when nothing is configured.</returns>
    public async Task<IReadOnlyList<string>> NotifyAsync(string purpose, string subject, string text, string html, string slackText, Guid? incidentId,
        CancellationToken cancellationToken)
    {
        var recipients = operators.Value.Addresses
            .Select(a => new MessageRecipient(Channel.Email, OutboundMessages.RecipientIdOf(Channel.Email, a), a))
            .ToList();
        var media = new List<string>();
        if (recipients.Count > 0)
        {
            media.Add("email");
        }
        if (accounts.Configured(Channel.Chat).FirstOrDefault(a => a.Name == "slack") is { } slack)
        {
            recipients.Add(new MessageRecipient(Channel.Chat, slack.Id, slack.Label, slack.Batch));
            media.Add("slack");
        }
        if (recipients.Count == 0)
        {
            return media;
        }
        var chatBody = new JsonObject { ["text"] = slackText }.ToJsonString();
        messages.Queue(DeliveryKind.OperatorNotice, purpose, new MessageContent(subject, text, html, ChatBody: chatBody), recipients, incidentId);
        await db.SaveChangesAsync(cancellationToken);
        if (db.Database.CurrentTransaction is null)
        {
            outbox.Notify(); // inside a caller's transaction the row is not visible yet: the caller wakes the outbox after its commit
        }
        return media;
    }
}
