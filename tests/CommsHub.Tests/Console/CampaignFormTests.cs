using CommsHub.Api.OperatorConsole.Pages.Campaigns;
using CommsHub.Core.Campaigns;
using CommsHub.Core.Common;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace CommsHub.Tests.Console;

/// <summary>The campaign pages' own logic: the posted form as the API's request, and a report as progress to watch.</summary>
public sealed class CampaignFormTests
{
    private static CampaignInput Posted(params (string Key, string[] Values)[] fields) =>
        CampaignInput.FromForm(new FormCollection(fields.ToDictionary(f => f.Key, f => new StringValues(f.Values))));

    [Fact]
    public void An_imported_file_becomes_the_chosen_list_and_pool_and_a_time_is_sent_only_when_scheduled()
    {
        var input = Posted(("kind", ["apology"]), ("audienceSource", ["csv"]), ("poolSource", ["csv"]), ("channels", ["email", "sms"]),
            ("title", ["Sorry"]), ("message", ["Hi {{ name }}"]), ("when", ["now"]), ("sendAt", ["2030-01-01T10:00"]));
        var at = DateTimeOffset.Parse("2030-01-01T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(new CampaignAudienceRequest(), input.ToRequest(at).Audience);

        var list = Guid.CreateVersion7();
        var pool = Guid.CreateVersion7();
        input.UseImported(list, pool);
        var request = input.ToRequest(at);
        Assert.Equal(list, request.Audience!.ListId);
        Assert.Null(request.Audience.IncidentId);
        Assert.Equal(pool, request.CodePoolId);
        Assert.Equal(["email", "sms"], request.Channels);
        Assert.Null(request.SendAt);
        Assert.Equal((AudienceSource.List, PoolSource.Pool), (input.Audience, input.Pool));

        input.Scheduled = true;
        Assert.Equal(at, input.ToRequest(at).SendAt);
    }

    [Fact]
    public void An_incident_audience_names_the_incident_and_an_unreadable_id_is_left_for_the_service_to_refuse()
    {
        var incident = Guid.CreateVersion7();
        var request = Posted(("audienceSource", ["incident"]), ("audienceIncidentId", [incident.ToString()]), ("poolSource", ["pool"]), ("codePoolId", ["not-an-id"]))
            .ToRequest(null);
        Assert.Equal(new CampaignAudienceRequest(IncidentId: incident), request.Audience);
        Assert.Null(request.CodePoolId);
        Assert.Empty(request.Channels!);
    }

    [Fact]
    public void Progress_counts_everything_but_queued_as_settled_and_stays_live_while_anything_is_queued()
    {
        var report = new CampaignReport(Guid.CreateVersion7(), 4, 4, 1, new Dictionary<string, IReadOnlyDictionary<string, int>>
        {
            ["sms"] = new Dictionary<string, int> { ["sandboxed"] = 1 },
            ["email"] = new Dictionary<string, int> { ["sent"] = 2, ["failed"] = 1, ["queued"] = 1 },
        });
        var progress = CampaignProgress.From(CampaignStatus.Sent, report, counted: true, freeCodes: null);
        Assert.Equal([Channel.Email, Channel.Sms], progress.Channels.Select(c => c.Channel));
        Assert.Equal((3, 4, 75), (progress.Channels[0].Done, progress.Channels[0].Total, progress.Channels[0].Percent));
        Assert.Equal(1, progress.Channels[0].Statuses[DeliveryStatus.Failed]);
        Assert.Equal(100, progress.Channels[1].Percent);
        Assert.True(progress.Live);

        var settled = new CampaignReport(report.CampaignId, 4, 4, 1, new Dictionary<string, IReadOnlyDictionary<string, int>>
        {
            ["email"] = new Dictionary<string, int> { ["sent"] = 4 },
        });
        Assert.False(CampaignProgress.From(CampaignStatus.Sent, settled, counted: true, freeCodes: null).Live);
        Assert.True(CampaignProgress.From(CampaignStatus.Sending, settled, counted: true, freeCodes: null).Live);
        // Sent, but last counted before it was: the page keeps watching until a count after it.
        Assert.True(CampaignProgress.From(CampaignStatus.Sent, settled, counted: false, freeCodes: null).Live);
        Assert.True(CampaignProgress.From(CampaignStatus.Cancelled, settled, counted: false, freeCodes: null).Live);
        Assert.False(CampaignProgress.From(CampaignStatus.Cancelled, settled, counted: true, freeCodes: null).Live);
        Assert.False(CampaignProgress.From(CampaignStatus.Draft, settled with { Channels = new Dictionary<string, IReadOnlyDictionary<string, int>>() }, counted: true, freeCodes: null).Live);
    }
}
