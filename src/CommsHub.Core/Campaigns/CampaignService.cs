using System.Text.Json.Nodes;
using CommsHub.Contracts;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Messaging;
using CommsHub.Core.Scheduling;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Campaigns;

/// <summary>Creates, sends, cancels and reports campaigns, and redeems their codes.</summary>
public sealed class CampaignService(CommsHubDbContext db, Scheduler scheduler, OutboxSignal outbox, TimeProvider time)
{
    public async Task<Campaign> CreateAsync(CreateCampaignRequest request, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        if (!Wire.TryParse<CampaignKind>(request.Kind, out var kind))
        {
            errors.Add("kind", Wire.OneOf<CampaignKind>());
        }
        Check(errors, "title", request.Title, 500);
        Check(errors, "message", request.Message, 5000);
        var channels = new List<Channel>();
        foreach (var name in request.Channels ?? [])
        {
            if (Wire.TryParse<Channel>(name, out var channel) && channel is Channel.Email or Channel.Sms)
            {
                if (!channels.Contains(channel))
                {
                    channels.Add(channel);
                }
            }
            else
            {
                errors.Add("channels", $"'{name}' is not a campaign channel: email or sms.");
            }
        }
        if (request.Channels is null || request.Channels.Count == 0)
        {
            errors.Add("channels", "give email, sms or both.");
        }
        string? incidentTitle = null;
        if (request.IncidentId is { } incidentId)
        {
            incidentTitle = await db.Incidents.Where(i => i.Id == incidentId).Select(i => i.Title).FirstOrDefaultAsync(cancellationToken);
            if (incidentTitle is null)
            {
                errors.Add("incidentId", $"no incident has id {incidentId}.");
            }
        }
        if (request.CodePoolId is { } poolId && !await db.CodePools.AnyAsync(p => p.Id == poolId, cancellationToken))
        {
            errors.Add("codePoolId", $"no code pool has id {poolId}.");
        }
        if (request.SendAt is { } sendAt && sendAt < time.GetUtcNow().AddMinutes(-1))
        {
            errors.Add("sendAt", "is in the past.");
        }
        var audience = request.Audience;
        if (audience is null || (audience.ListId is null) == (audience.IncidentId is null))
        {
            errors.Add("audience", "give either {listId} or {incidentId, components?}.");
        }
        else if (audience.ListId is { } listId && !await db.Audiences.AnyAsync(a => a.Id == listId, cancellationToken))
        {
            errors.Add("audience.listId", $"no audience has id {listId}.");
        }
        else if (audience.IncidentId is { } fromIncident && !await db.Incidents.AnyAsync(i => i.Id == fromIncident, cancellationToken))
        {
            errors.Add("audience.incidentId", $"no incident has id {fromIncident}.");
        }
        if (request.Title is not null && request.Message is not null)
        {
            CampaignTemplate.Parse(request.Title, request.Message, null, errors);
        }
        errors.ThrowIfAny();

        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var audienceId = audience!.ListId ?? await SnapshotIncidentAudienceAsync(audience.IncidentId!.Value, audience.Components, channels, cancellationToken);
        var campaign = new Campaign
        {
            Kind = kind, Title = request.Title!, Message = request.Message!, IncidentId = request.IncidentId ?? audience.IncidentId, Channels = channels,
            AudienceId = audienceId, CodePoolId = request.CodePoolId, SendAt = request.SendAt, CreatedAt = time.GetUtcNow(),
        };
        db.Campaigns.Add(campaign);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return campaign;
    }

    /// <summary>
    /// The incident's audience is fixed when the campaign is made: the confirmed email and SMS subscribers of the
    /// given components (or the incident's), including those who chose no component, as the incident's own updates reach.
    /// </summary>
    private async Task<Guid> SnapshotIncidentAudienceAsync(Guid incidentId, List<Guid>? components, List<Channel> channels, CancellationToken cancellationToken)
    {
        var componentIds = components is { Count: > 0 }
            ? components
            : await db.Set<Incidents.IncidentComponent>().Where(c => c.IncidentId == incidentId).Select(c => c.ComponentId).ToListAsync(cancellationToken);
        var audience = new Audience { Source = "incident:" + incidentId, CreatedAt = time.GetUtcNow() };
        db.Audiences.Add(audience);
        var subscribers = await db.Subscribers.AsNoTracking()
            .Where(s => (s.Channel == Channel.Email || s.Channel == Channel.Sms) && channels.Contains(s.Channel) && s.Status == SubscriberStatus.Confirmed)
            .Where(s => !s.Components.Any() || s.Components.Any(c => componentIds.Contains(c.ComponentId)))
            .Select(s => new { s.Id, s.Channel, s.Address })
            .ToListAsync(cancellationToken);
        foreach (var s in subscribers)
        {
            db.AudienceMembers.Add(new AudienceMember
            {
                AudienceId = audience.Id, ExternalId = s.Id.ToString(),
                Email = s.Channel == Channel.Email ? s.Address : null, Phone = s.Channel == Channel.Sms ? s.Address : null,
            });
        }
        audience.Count = subscribers.Count;
        await db.SaveChangesAsync(cancellationToken);
        return audience.Id;
    }

    public async Task<Campaign?> SendAsync(Guid id, CancellationToken cancellationToken)
    {
        var campaign = await db.Campaigns.FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (campaign is null)
        {
            return null;
        }
        if (campaign.Status != CampaignStatus.Draft)
        {
            throw new StateConflictException("The campaign was already sent.", $"The campaign is {campaign.Status.ToWire()}; only a draft can be sent.");
        }
        if (campaign.CodePoolId is { } poolId)
        {
            var audience = await db.Audiences.Where(a => a.Id == campaign.AudienceId).Select(a => a.Count).FirstAsync(cancellationToken);
            var free = (await db.CodePools.AsNoTracking().FirstAsync(p => p.Id == poolId, cancellationToken)).Free;
            if (free < audience)
            {
                // Refused before anything is sent: a campaign that ran out half-way would leave people without their code.
                throw new StateConflictException("The code pool is too small.",
                    $"The audience has {audience} members and the pool {free} free codes.",
                    new Dictionary<string, object?> { ["audience"] = audience, ["freeCodes"] = free });
            }
        }
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        ScheduledAction? action = null;
        if (campaign.SendAt is { } at && at > now)
        {
            campaign.Status = CampaignStatus.Scheduled;
            action = new ScheduledAction { Kind = ScheduledActionKind.CampaignSend, TargetId = campaign.Id, DueAt = at, CreatedAt = now };
            db.ScheduledActions.Add(action);
        }
        else
        {
            Start(campaign, now);
        }
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        if (action is not null)
        {
            await scheduler.SubmitAsync([action], cancellationToken);
        }
        outbox.Notify();
        return campaign;
    }

    /// <summary>The scheduled send, in the scheduler's transaction (<see cref="ScheduledActionJob"/>).</summary>
    public async Task<string> StartScheduledAsync(Guid id, CancellationToken cancellationToken)
    {
        var campaign = await db.Campaigns.FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (campaign is not { Status: CampaignStatus.Scheduled })
        {
            return $"not sent: the campaign is {campaign?.Status.ToWire() ?? "gone"}";
        }
        Start(campaign, time.GetUtcNow());
        return "sending";
    }

    private void Start(Campaign campaign, DateTimeOffset now)
    {
        campaign.Status = CampaignStatus.Sending;
        // When sending really began (a scheduled one may fire late): the redrive measures a stalled plan from it.
        campaign.SendAt = now;
        Outbox.Enqueue(db, new CampaignSendRequested { CampaignId = campaign.Id }, now);
    }

    /// <summary>
    /// Stops what has not been sent: planning stops at its next page, and queued deliveries no sender holds become
    /// <c>failed</c> with the error <c>cancelled</c>. A request already on its way to the provider finishes.
    /// </summary>
    public async Task<Campaign?> CancelAsync(Guid id, CancellationToken cancellationToken)
    {
        var campaign = await db.Campaigns.FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (campaign is null)
        {
            return null;
        }
        if (campaign.Status == CampaignStatus.Cancelled)
        {
            return campaign;
        }
        if (campaign.Status == CampaignStatus.Sent)
        {
            // Everything went out: calling it cancelled would misstate what its audience received.
            throw new StateConflictException("The campaign was already sent.", "The campaign is sent; only a draft, a scheduled or a sending campaign can be cancelled.");
        }
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        campaign.Status = CampaignStatus.Cancelled;
        campaign.CancelledAt = now;
        var actions = await db.ScheduledActions.Where(a => a.TargetId == id && a.FiredAt == null && a.CancelledAt == null).ToListAsync(cancellationToken);
        foreach (var action in actions)
        {
            action.CancelledAt = now;
        }
        await db.SaveChangesAsync(cancellationToken);
        var stopped = await db.Deliveries
            .Where(d => d.UpdateId == id && d.Status == DeliveryStatus.Queued && (d.LeaseUntil == null || d.LeaseUntil < now)
                        // What a dead sender may have sent is left to the next claim, which settles it.
                        && !db.InFlightMarks.Any(m => m.LeaseToken == d.LeaseToken))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeliveryStatus.Failed).SetProperty(d => d.LastError, "cancelled")
                .SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null), cancellationToken);
        Audit.AuditLog.Append(db, now, Audit.AuditLog.System, "campaign.cancelled", id.ToString(), new JsonObject { ["deliveriesStopped"] = stopped });
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        scheduler.Withdraw(actions.Select(a => a.JobId));
        return campaign;
    }

    public async Task<CampaignReport?> ReportAsync(Guid id, CancellationToken cancellationToken)
    {
        var campaign = await db.Campaigns.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (campaign is null)
        {
            return null;
        }
        var audience = await db.Audiences.Where(a => a.Id == campaign.AudienceId).Select(a => a.Count).FirstAsync(cancellationToken);
        var assigned = await db.CampaignCodes.CountAsync(c => c.CampaignId == id, cancellationToken);
        var redeemed = await db.CampaignCodes.CountAsync(c => c.CampaignId == id && c.RedeemedAt != null, cancellationToken);
        var tallies = await db.Deliveries.Where(d => d.UpdateId == id).GroupBy(d => new { d.Channel, d.Status })
            .Select(g => new { g.Key.Channel, g.Key.Status, Count = g.Count() }).ToListAsync(cancellationToken);
        var channels = tallies.GroupBy(t => t.Channel).ToDictionary(g => g.Key.ToWire(),
            g => (IReadOnlyDictionary<string, int>)g.ToDictionary(t => t.Status.ToWire(), t => t.Count));
        return new CampaignReport(id, audience, assigned, redeemed, channels);
    }

    public enum RedeemOutcome { Redeemed, AlreadyRedeemed, Unknown }

    /// <summary>
    /// Once per code, decided by the database: the first call's conditional update wins and every later one finds
    /// the code redeemed. A code the campaign assigned but never sent (cancelled first) is unknown to it.
    /// </summary>
    public async Task<(RedeemOutcome Outcome, Redemption? Redemption)> RedeemAsync(Guid id, string code, CancellationToken cancellationToken)
    {
        var found = await (from c in db.CampaignCodes
                           join p in db.PoolCodes on c.CodeId equals p.Id
                           join m in db.AudienceMembers on c.MemberId equals m.Id
                           where c.CampaignId == id && p.Code == code
                           select new { c.MemberId, m.ExternalId, c.RedeemedAt }).FirstOrDefaultAsync(cancellationToken);
        var sent = found is not null && await db.Deliveries.AnyAsync(d => d.UpdateId == id && d.SubscriberId == found.MemberId
            && (d.Status == DeliveryStatus.Sent || d.Status == DeliveryStatus.Delivered || d.Status == DeliveryStatus.Sandboxed), cancellationToken);
        if (found is null || !sent)
        {
            return (RedeemOutcome.Unknown, null);
        }
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var won = await db.CampaignCodes.Where(c => c.CampaignId == id && c.MemberId == found.MemberId && c.RedeemedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.RedeemedAt, now), cancellationToken);
        if (won == 0)
        {
            return (RedeemOutcome.AlreadyRedeemed, new Redemption(code, new RedemptionRecipient(found.ExternalId), found.RedeemedAt ?? now));
        }
        Audit.AuditLog.Append(db, now, Audit.AuditLog.System, "campaign.code_redeemed", id.ToString(), new JsonObject
        {
            ["code"] = code,
            ["externalId"] = found.ExternalId,
        });
        // The console's report shows the redemption within seconds (DeliveryTallies counts it again).
        await db.Campaigns.Where(c => c.Id == id).ExecuteUpdateAsync(s => s.SetProperty(c => c.TalliedAt, (DateTimeOffset?)null), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return (RedeemOutcome.Redeemed, new Redemption(code, new RedemptionRecipient(found.ExternalId), now));
    }

    private static void Check(FieldErrors errors, string field, string? value, int max)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(field, "is required.");
        }
        else if (value.Length > max)
        {
            errors.Add(field, $"must be at most {max} characters.");
        }
        else if (OperatorText.Problem(value) is { } problem)
        {
            errors.Add(field, problem);
        }
    }
}
