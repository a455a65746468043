using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.Core.Campaigns;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Campaigns;

/// <summary>
/// A campaign's report as counted in the background for the console (<see cref="CampaignTally"/>) is the report a
/// direct count gives, and the API's, on the same data: after sending, after failures and retries, and after a redemption.
/// </summary>
public sealed class CampaignTallyTests : SqliteAppTest
{
    private async Task<JsonNode> PostCsvAsync(string path, string csv)
    {
        using var response = await Admin.PostAsync(path, new StringContent(csv, Encoding.UTF8, "text/csv"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private async Task RefreshAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DeliveryTallies>().RefreshAsync(CancellationToken.None);
    }

    private Task<CampaignCounts?> StoredAsync(Guid id) =>
        WithDbAsync(async db => CampaignTally.Read(id, await db.Campaigns.Where(c => c.Id == id).Select(c => c.Tally).SingleAsync()));

    /// <summary>
    /// Waits for a count that began after <paramref name="after"/> (by this call or by the recurring job meanwhile) and, when
    /// <paramref name="settled"/>, found nothing queued: a count begun while deliveries were still being sent is true of its
    /// moment, and one showing queued deliveries is counted again within seconds.
    /// </summary>
    private async Task<CampaignCounts> CountedAfterAsync(Guid id, DateTimeOffset after, bool settled = false)
    {
        CampaignCounts? counts = null;
        await Eventually.HoldsAsync(async () =>
        {
            await RefreshAsync();
            counts = await StoredAsync(id);
            return counts is not null && counts.CountedAt > after
                   && (!settled || counts.Queued == 0);
        }, "the campaign is counted again");
        return counts!;
    }

    /// <summary>A count due now, as after a provider's late callback once the next count comes.</summary>
    private async Task<CampaignCounts> RecountAsync(Guid id)
    {
        var marker = DateTimeOffset.UtcNow;
        await WithDbAsync(db => db.Campaigns.Where(c => c.Id == id).ExecuteUpdateAsync(s => s.SetProperty(c => c.TalliedAt, (DateTimeOffset?)null)));
        return await CountedAfterAsync(id, marker);
    }

    /// <summary>The stored counts against a count written here, straight from the tables, and against the API's live report.</summary>
    private async Task AssertSameAsDirectCountAsync(Guid id, CampaignCounts stored)
    {
        var direct = await WithDbAsync(async db =>
        {
            var campaign = await db.Campaigns.SingleAsync(c => c.Id == id);
            var rows = await db.Deliveries.Where(d => d.UpdateId == id).Select(d => new { d.Channel, d.Status }).ToListAsync();
            return new
            {
                Audience = await db.Audiences.Where(a => a.Id == campaign.AudienceId).Select(a => a.Count).SingleAsync(),
                Codes = await db.CampaignCodes.CountAsync(c => c.CampaignId == id),
                Redeemed = await db.CampaignCodes.CountAsync(c => c.CampaignId == id && c.RedeemedAt != null),
                // Counted from the codes themselves, not from the pool's cursor the product reads.
                Free = await db.PoolCodes.CountAsync(p => p.PoolId == campaign.CodePoolId && !db.CampaignCodes.Any(c => c.CodeId == p.Id)),
                Channels = Flat(rows.GroupBy(r => (r.Channel.ToWire(), r.Status.ToWire())).ToDictionary(g => g.Key, g => g.Count())),
            };
        });
        Assert.Equal(direct.Audience, stored.Report.Audience);
        Assert.Equal(direct.Codes, stored.Report.CodesAssigned);
        Assert.Equal(direct.Redeemed, stored.Report.Redeemed);
        Assert.Equal(direct.Free, stored.FreeCodes);
        Assert.Equal(direct.Channels, Flat(stored.Report.Channels.SelectMany(c => c.Value.Select(s => (c.Key, s.Key, s.Value))).ToDictionary(x => (x.Item1, x.Item2), x => x.Item3)));

        var live = await Admin.GetJsonAsync($"/api/campaigns/{id}/report");
        Assert.Equal(stored.Report.Audience, live["audience"]!.GetValue<int>());
        Assert.Equal(stored.Report.CodesAssigned, live["codesAssigned"]!.GetValue<int>());
        Assert.Equal(stored.Report.Redeemed, live["redeemed"]!.GetValue<int>());
        Assert.Equal(direct.Channels, Flat(live["channels"]!.AsObject()
            .SelectMany(c => c.Value!.AsObject().Select(s => (c.Key, s.Key, s.Value!.GetValue<int>()))).ToDictionary(x => (x.Item1, x.Item2), x => x.Item3)));
    }

    private static string Flat(Dictionary<(string Channel, string Status), int> counts) =>
        string.Join(", ", counts.OrderBy(c => c.Key.Channel).ThenBy(c => c.Key.Status).Select(c => $"{c.Key.Channel}/{c.Key.Status}={c.Value}"));

    [Fact]
    public async Task The_report_counted_for_the_console_is_the_direct_count_after_sending_failures_retries_and_a_redemption()
    {
        var list = await PostCsvAsync("/api/audiences",
            "externalId,email,phone,name\nc1,ann@example.com,+1 202 555 0143,Ann\nc2,bob@example.com,,Bob\nc3,cy@example.com,+1 202 555 0144,Cy\nc4,dee@example.com,,Dee\n");
        var pool = await PostCsvAsync("/api/code-pools", "code\nW-1\nW-2\nW-3\nW-4\nW-5\nW-6\n");
        var campaign = await Admin.PostAsync("/api/campaigns", new
        {
            kind = "compensation", title = "Sorry, {{ name }}", message = "Your free week: {{ code }}", channels = new[] { "email", "sms" },
            audience = new { listId = list["id"]!.GetValue<string>() }, codePoolId = pool["id"]!.GetValue<string>(),
        });
        var id = Guid.Parse(campaign["id"]!.GetValue<string>());
        await Admin.PostAsync($"/api/campaigns/{id}/send", new { }, HttpStatusCode.Accepted);
        await Eventually.HoldsAsync(() => WithDbAsync(async db =>
                await db.Campaigns.AnyAsync(c => c.Id == id && c.Status == CampaignStatus.Sent)
                && await db.Deliveries.CountAsync(d => d.UpdateId == id) == 6
                && !await db.Deliveries.AnyAsync(d => d.UpdateId == id && d.Status == DeliveryStatus.Queued)),
            "the campaign is sent and every delivery settled");

        // Counted by the background once sent, with nothing asked of it: a count taken after the plan was written (a count
        // begun before it, even after the send was asked for, may have found nothing planned yet, and is counted again).
        var planned = await WithDbAsync(db => db.Campaigns.Where(c => c.Id == id).Select(c => c.SentAt!.Value).SingleAsync());
        var afterSend = await CountedAfterAsync(id, planned, settled: true);
        Assert.Equal((4, 4, 0, 2), (afterSend.Report.Audience, afterSend.Report.CodesAssigned, afterSend.Report.Redeemed, afterSend.FreeCodes));
        Assert.Equal(6, afterSend.Report.Channels.Values.Sum(c => c.Values.Sum()));
        await AssertSameAsDirectCountAsync(id, afterSend);

        // A failure on each channel (after its retries), and a delivery that needed a retry to go out.
        var deliveries = await WithDbAsync(db => db.Deliveries.Where(d => d.UpdateId == id).OrderBy(d => d.Recipient).Select(d => new { d.Id, d.Channel }).ToListAsync());
        var emails = deliveries.Where(d => d.Channel == Channel.Email).Select(d => d.Id).ToList();
        var texts = deliveries.Where(d => d.Channel == Channel.Sms).Select(d => d.Id).ToList();
        await WithDbAsync(async db =>
        {
            await db.Deliveries.Where(d => d.Id == emails[0] || d.Id == texts[0]).ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, DeliveryStatus.Failed).SetProperty(d => d.LastError, "550 mailbox unavailable").SetProperty(d => d.Attempts, 3));
            await db.Deliveries.Where(d => d.Id == emails[1]).ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, DeliveryStatus.Sent).SetProperty(d => d.Attempts, 2).SetProperty(d => d.LastError, "503 try later"));
            return 0;
        });
        var afterFailures = await RecountAsync(id);
        Assert.Equal(1, afterFailures.Report.Channels["email"]["failed"]);
        Assert.Equal(1, afterFailures.Report.Channels["sms"]["failed"]);
        await AssertSameAsDirectCountAsync(id, afterFailures);

        // A redemption asks for a count itself: nothing else marks the campaign due.
        var redeemable = await WithDbAsync(db => (from c in db.CampaignCodes
                                                   join p in db.PoolCodes on c.CodeId equals p.Id
                                                   join d in db.Deliveries on c.MemberId equals d.SubscriberId
                                                   where c.CampaignId == id && d.UpdateId == id && d.Id == emails[2]
                                                   select p.Code).SingleAsync());
        var beforeRedemption = DateTimeOffset.UtcNow;
        await Admin.PostAsync($"/api/campaigns/{id}/redemptions", new { code = redeemable }, HttpStatusCode.OK);
        var afterRedemption = await CountedAfterAsync(id, beforeRedemption);
        Assert.Equal(1, afterRedemption.Report.Redeemed);
        await AssertSameAsDirectCountAsync(id, afterRedemption);
    }
}
