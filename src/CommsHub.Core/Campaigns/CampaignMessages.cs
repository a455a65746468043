using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Campaigns;

/// <summary>Renders a campaign's batch, one message per recipient with their name and code, for the send pipeline.</summary>
public sealed class CampaignMessages(CommsHubDbContext db, CampaignOptOuts optOuts) : IPersonalContent
{
    public async Task<IReadOnlyDictionary<Guid, PersonalMessage>?> LoadAsync(Guid ownerId, Channel channel, IReadOnlyList<LeasedDelivery> deliveries,
        CancellationToken cancellationToken)
    {
        var campaign = await db.Campaigns.AsNoTracking().FirstOrDefaultAsync(c => c.Id == ownerId, cancellationToken);
        if (campaign is null)
        {
            return null;
        }
        if (campaign.Status == CampaignStatus.Cancelled)
        {
            return new Dictionary<Guid, PersonalMessage>(); // withdrawn: what was leased or planned at the cancel is not sent
        }
        var template = await TemplateAsync(campaign, cancellationToken);
        var ids = deliveries.Select(d => d.SubscriberId).ToList();
        // The members and their codes in one read, only the columns the message uses. The code is a subquery per member:
        // a probe of (campaign, member); as a join PostgreSQL hashed every code the campaign had assigned so far, on
        // every batch (60 ms per 1,000 recipients at 100,000, growing with the campaign).
        var campaignId = campaign.Id;
        var recipients = await (
            from m in db.AudienceMembers
            where EF.Parameter(ids).Contains(m.Id)
            select new
            {
                m.Id, m.ExternalId, m.Name, m.Locale,
                Code = (from c in db.CampaignCodes
                        where c.CampaignId == campaignId && c.MemberId == m.Id
                        join p in db.PoolCodes on c.CodeId equals p.Id
                        select p.Code).FirstOrDefault(),
            })
            .ToDictionaryAsync(r => r.Id, r => new CampaignRecipient(r.ExternalId, r.Name, r.Locale, r.Code), cancellationToken);
        var messages = new Dictionary<Guid, PersonalMessage>(deliveries.Count);
        foreach (var delivery in deliveries)
        {
            var recipient = recipients.GetValueOrDefault(delivery.SubscriberId) ?? new CampaignRecipient("", null, null, null);
            messages[delivery.Id] = new PersonalMessage(template.Render(recipient), channel == Channel.Email ? optOuts.Url(channel, delivery.Recipient) : null);
        }
        return messages;
    }

    public async Task<CampaignTemplate> TemplateAsync(Campaign campaign, CancellationToken cancellationToken)
    {
        var incidentTitle = campaign.IncidentId is { } incidentId
            ? await db.Incidents.AsNoTracking().Where(i => i.Id == incidentId).Select(i => i.Title).FirstOrDefaultAsync(cancellationToken)
            : null;
        return CampaignTemplate.Parse(campaign.Title, campaign.Message, incidentTitle, new FieldErrors());
    }

    public async Task<Dictionary<Guid, string>> CodesAsync(Guid campaignId, List<Guid> members, CancellationToken cancellationToken) =>
        await (from c in db.CampaignCodes
               join p in db.PoolCodes on c.CodeId equals p.Id
               where c.CampaignId == campaignId && EF.Parameter(members).Contains(c.MemberId)
               select new { c.MemberId, p.Code }).ToDictionaryAsync(x => x.MemberId, x => x.Code, cancellationToken);

    /// <summary>The message as the first recipient of each medium would get it (their code if they have one, else a sample); nothing is stored.</summary>
    public async Task<CampaignPreview> PreviewAsync(Campaign campaign, CancellationToken cancellationToken)
    {
        var template = await TemplateAsync(campaign, cancellationToken);
        var sample = false;
        async Task<AudienceMember?> First(bool email) => await db.AudienceMembers.AsNoTracking()
            .Where(m => m.AudienceId == campaign.AudienceId && (email ? m.Email != null : m.Phone != null)).OrderBy(m => m.Id).FirstOrDefaultAsync(cancellationToken);
        async Task<Deliveries.MessageContent?> Render(AudienceMember? member)
        {
            if (member is null)
            {
                return null;
            }
            var code = (await CodesAsync(campaign.Id, [member.Id], cancellationToken)).GetValueOrDefault(member.Id);
            if (code is null && campaign.CodePoolId is not null)
            {
                (code, sample) = (SampleCode, true);
            }
            return template.Render(new CampaignRecipient(member.ExternalId, member.Name, member.Locale, code));
        }
        EmailPreview? email = null;
        SmsPreview? sms = null;
        if (campaign.Channels.Contains(Channel.Email) && await First(true) is { } e && await Render(e) is { } ec)
        {
            email = new EmailPreview(e.Email!, ec.Subject, ec.Text, ec.Html!);
        }
        if (campaign.Channels.Contains(Channel.Sms) && await First(false) is { } s && await Render(s) is { } sc)
        {
            sms = new SmsPreview(s.Phone!, sc.Text);
        }
        return new CampaignPreview(email, sms) { SampleCode = sample };
    }

    /// <summary>Stands in for a code in a preview before codes are assigned.</summary>
    public const string SampleCode = "SAMPLE-CODE";
}

public sealed record EmailPreview(string To, string Subject, string Text, string Html);

public sealed record SmsPreview(string To, string Body);

public sealed record CampaignPreview(EmailPreview? Email, SmsPreview? Sms)
{
    /// <summary>A recipient shown has no code yet (<see cref="CampaignMessages.SampleCode"/> stands in): the console looks again while it is sent.</summary>
    [JsonIgnore]
    public bool SampleCode { get; init; }
}
