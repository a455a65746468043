using System.Text.Json.Nodes;
using CommsHub.Api.Website;
using CommsHub.Core.Channels;
using CommsHub.Core.Channels.Chat;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Channels.Social;
using CommsHub.Core.Channels.Webhook;
using CommsHub.Core.Common;
using CommsHub.Core.Incidents;
using CommsHub.Core.StatusPage;
using CommsHub.Core.StatusPage.Api;
using CommsHub.Core.StatusPage.Feeds;
using CommsHub.Tests.Chat;
using CommsHub.Tests.Social;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.StatusPage;

/// <summary>
/// Every renderer — each medium a message goes out on, and each public resource — given text of every
/// code point class in every operator-written field: none throws, and what each produces is well-formed
/// for its format. Input checks at the API refuse most of this now; rows written before them did not.
/// </summary>
public sealed class HostileTextTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 11, 27, 21, 5, 0, TimeSpan.Zero);

    private readonly ServiceProvider _social = SocialServices.Build(new Dictionary<string, string?>(
        SocialServices.Mastodon("https://mastodon.example")
            .Concat(SocialServices.Bluesky("https://bsky.example"))
            .Concat(SocialServices.X("https://x.example"))));

    private readonly ServiceProvider _chat = ChatServices.Build(new()
    {
        ["Channels:Chat:Slack:WebhookUrl"] = "https://hooks.slack.example/services/T0/B0/abcd",
        ["Channels:Chat:Discord:WebhookUrl"] = "https://discord.example/api/webhooks/1/abcd",
        ["Channels:Chat:Teams:WebhookUrl"] = "https://teams.example/webhook/abcd",
    });

    public static TheoryData<string> Samples() => [.. HostileText.All().Select(s => s.Class)];

    private static string TextOf(string sample) => HostileText.All().Single(s => s.Class == sample).Text;

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_medium_renders_it_and_each_body_is_well_formed(string sample)
    {
        var text = TextOf(sample);
        var content = new UpdateContent("Acme Status", "https://status.example.com", Guid.Parse("0193a0d2-0000-7000-8000-0000000000a1"),
            text, "https://status.example.com/incidents/0193a0d2-0000-7000-8000-0000000000a1", IncidentStatus.Identified, Impact.Major,
            $"Before {text} after.", At, [(text, ComponentStatus.PartialOutage), ("API", ComponentStatus.MajorOutage)]);

        var email = EmailRenderer.Render(content);
        Assert.NotEmpty(email.Subject);
        Assert.NotEmpty(email.Text);
        HostileText.Utf8(email.Html);
        Assert.DoesNotContain(email.Html, c => c < ' ' && c is not ('\t' or '\n' or '\r'));

        var sms = SmsRenderer.Render(content, maxSegments: 10);
        Assert.NotEmpty(sms.Body);
        Assert.InRange(sms.Segments, 1, 10);

        var networks = _social.GetServices<ISocialNetwork>().Where(n => n.IsConfigured).ToList();
        Assert.Equal(["bluesky", "mastodon", "x"], networks.Select(n => n.Name).Order());
        foreach (var network in networks)
        {
            foreach (var followUp in new[] { false, true })
            {
                var post = network.Render(content, followUp);
                Assert.NotEmpty(post.Text);
                Assert.True(post.Length <= post.Limit, $"{network.Name}: {post.Length} > {post.Limit}");
            }
        }

        var chats = _chat.GetServices<IChatWebhook>().Where(c => c.IsConfigured).ToList();
        Assert.Equal(3, chats.Count);
        foreach (var chat in chats)
        {
            HostileText.Json(chat.RenderBody(content), clean: false);
        }

        var (incident, update) = Incident(text);
        var webhook = StatuspageWebhookBody.From(incident, update, new Dictionary<Guid, string> { [ComponentId] = text },
            PageStatus.From([Impact.Major], [ComponentStatus.PartialOutage]), "https://status.example.com",
            "https://status.example.com/incidents/" + incident.Id, At);
        HostileText.Json(webhook.For("https://status.example.com/subscriptions/unsubscribe?token=t"), clean: false);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_public_resource_renders_it_well_formed_and_clean(string sample)
    {
        var data = Data(TextOf(sample));
        var zone = TimeZoneInfo.Utc;

        HostileText.Html(StatusPageHtml.Home(data, zone));
        HostileText.Html(StatusPageHtml.History(data, zone));
        foreach (var incident in data.Incidents)
        {
            HostileText.Html(StatusPageHtml.Incident(data, incident, zone));
        }
        foreach (var maintenance in data.Maintenances)
        {
            HostileText.Html(StatusPageHtml.Incident(data, maintenance.Incident, zone, maintenance));
        }

        foreach (var document in new Func<StatusData, JsonObject>[]
        {
            StatuspageApi.Summary, StatuspageApi.Status, StatuspageApi.Components, StatuspageApi.Incidents, StatuspageApi.UnresolvedIncidents,
            StatuspageApi.ScheduledMaintenances, StatuspageApi.UpcomingMaintenances, StatuspageApi.ActiveMaintenances,
        })
        {
            HostileText.Json(document(data).ToJsonString(System.Text.Json.JsonSerializerOptions.Web), clean: true);
        }

        HostileText.Xml(StatusFeeds.Atom(data));
        HostileText.Xml(StatusFeeds.Rss(data));
        HostileText.Ics(StatusFeeds.Ics(data));
    }

    [Fact]
    public void Unsafe_characters_become_the_replacement_character_and_everything_else_is_kept()
    {
        Assert.Equal("\uFFFD[31mred\uFFFD[0m", PublicText.Clean("\u001b[31mred\u001b[0m"));
        Assert.Equal("a\uFFFDb\uFFFDc\uFFFDd", PublicText.Clean("a\0b\u007fc\u0085d"));
        Assert.Equal("\uFFFD \uFFFD \uFFFD\uFFFD", PublicText.Clean("\uD83D \uDE00 \uFFFE\uD83F\uDFFF"));
        Assert.Equal("keep\t\r\n", PublicText.Clean("keep\t\r\n"));
        foreach (var kept in new[] { "👩‍💻 🇩🇪 👍🏽", "\u200Fمرحبا\u200E", "e\u0301", "\uFFFD", "\U000F0000", "" })
        {
            Assert.Same(kept, PublicText.Clean(kept));
        }
    }

    [Fact]
    public void The_calendar_shows_a_control_character_as_every_other_resource_does() =>
        Assert.Equal("bell\\, \uFFFD\\; tab\tkept", IcsWriter.Escape("bell, \u0007; tab\tkept"));

    private static readonly Guid ComponentId = Guid.Parse("0193a0d2-0000-7000-8000-000000000001");

    /// <summary>The text in every field the page shows: component name, group and description, titles, updates, a maintenance.</summary>
    private static StatusData Data(string text)
    {
        var components = new List<ComponentData>
        {
            new(ComponentId, text, text, text, ComponentStatus.PartialOutage, 1, At.AddDays(-3), At, [new DayUptime(DateOnly.FromDateTime(At.UtcDateTime), 0.5, ComponentStatus.PartialOutage)]),
            new(Guid.Parse("0193a0d2-0000-7000-8000-000000000002"), "API", null, null, ComponentStatus.Operational, 2, At.AddDays(-3), At, []),
        };
        IncidentData Incident(Guid id, IncidentStatus status, DateTimeOffset? resolved) => new(
            id, text, status, Impact.Critical, At, At.AddMinutes(5), null, resolved, $"https://status.example.com/incidents/{id}",
            [
                new IncidentUpdateData(Guid.NewGuid(), status, $"Latest: {text}", At.AddMinutes(5),
                    [new ComponentChangeData(ComponentId, text, ComponentStatus.Operational, ComponentStatus.PartialOutage)]),
                new IncidentUpdateData(Guid.NewGuid(), IncidentStatus.Investigating, text, At, []),
            ],
            [new AffectedComponent(ComponentId, text, ComponentStatus.PartialOutage)]);
        var open = Incident(Guid.Parse("0193a0d2-0000-7000-8000-0000000000a1"), IncidentStatus.Identified, null);
        var resolved = Incident(Guid.Parse("0193a0d2-0000-7000-8000-0000000000b1"), IncidentStatus.Resolved, At.AddMinutes(5));
        var active = new MaintenanceData(Incident(Guid.Parse("0193a0d2-0000-7000-8000-0000000000c1"), IncidentStatus.InProgress, null),
            At.AddMinutes(-10), At.AddHours(1), null);
        var upcoming = new MaintenanceData(Incident(Guid.Parse("0193a0d2-0000-7000-8000-0000000000c2"), IncidentStatus.Scheduled, null),
            At.AddDays(1), At.AddDays(1).AddHours(1), null);
        return new StatusData(new PageInfo("x1y2z3w4v5u6", "Acme", "https://status.example.com", "Etc/UTC", null, At),
            PageStatus.From([Impact.Critical], components.Select(c => c.Status)), components, [open, resolved], At)
        {
            Maintenances = [upcoming, active],
        };
    }

    private static (Incident Incident, IncidentUpdate Update) Incident(string text)
    {
        var incident = new Incident { Title = text, Status = IncidentStatus.Identified, Impact = Impact.Major, CreatedAt = At, UpdatedAt = At };
        incident.Components.Add(new IncidentComponent { IncidentId = incident.Id, ComponentId = ComponentId, Status = ComponentStatus.PartialOutage });
        var first = new IncidentUpdate { IncidentId = incident.Id, Status = IncidentStatus.Investigating, Message = text, CreatedAt = At, Public = true };
        var update = new IncidentUpdate { IncidentId = incident.Id, Status = IncidentStatus.Identified, Message = $"Before {text} after.", CreatedAt = At.AddMinutes(5), Public = true };
        update.ComponentChanges.Add(new ComponentChange { UpdateId = update.Id, ComponentId = ComponentId, OldStatus = ComponentStatus.Operational, NewStatus = ComponentStatus.PartialOutage });
        incident.Updates.AddRange([first, update]);
        return (incident, update);
    }

    public void Dispose()
    {
        _social.Dispose();
        _chat.Dispose();
    }
}
