using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Core.StatusPage;
using CommsHub.Core.StatusPage.Api;
using static CommsHub.Tests.StatusPage.StatuspageShapes;

namespace CommsHub.Tests.StatusPage;

public sealed class StatuspageApiTests
{
    private static readonly StatusData Sample = StatusSample.Data();

    // What a client sees: the serialized text, parsed back.
    private static JsonElement Read(JsonObject document) => JsonDocument.Parse(document.ToJsonString()).RootElement;

    public static TheoryData<string, string[]> Documents => new()
    {
        { "summary", ["page", "components", "incidents", "scheduled_maintenances", "status"] },
        { "status", ["page", "status"] },
        { "components", ["page", "components"] },
        { "incidents", ["page", "incidents"] },
        { "incidents/unresolved", ["page", "incidents"] },
        { "scheduled-maintenances", ["page", "scheduled_maintenances"] },
        { "scheduled-maintenances/upcoming", ["page", "scheduled_maintenances"] },
        { "scheduled-maintenances/active", ["page", "scheduled_maintenances"] },
    };

    private static JsonObject Document(string name, StatusData data) => name switch
    {
        "summary" => StatuspageApi.Summary(data),
        "status" => StatuspageApi.Status(data),
        "components" => StatuspageApi.Components(data),
        "incidents" => StatuspageApi.Incidents(data),
        "incidents/unresolved" => StatuspageApi.UnresolvedIncidents(data),
        "scheduled-maintenances" => StatuspageApi.ScheduledMaintenances(data),
        "scheduled-maintenances/upcoming" => StatuspageApi.UpcomingMaintenances(data),
        "scheduled-maintenances/active" => StatuspageApi.ActiveMaintenances(data),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_document_has_exactly_statuspages_top_level_fields_and_page_object(string name, string[] keys)
    {
        var document = Read(Document(name, Sample));

        HasExactly(document, keys);
        var page = document.GetProperty("page");
        HasExactly(page, PageKeys);
        Assert.Equal(StatusSample.PageId, String(page, "id"));
        Assert.Equal("Acme", String(page, "name"));
        Assert.Equal(StatusSample.PageUrl, String(page, "url"));
        Assert.Equal("Etc/UTC", String(page, "time_zone"));
        Assert.Equal(StatusSample.Identified, Time(page, "updated_at"));
    }

    [Fact]
    public void Status_carries_the_page_indicator_and_its_description()
    {
        var status = Read(StatuspageApi.Status(Sample)).GetProperty("status");

        HasExactly(status, StatusKeys);
        Assert.Equal("major", String(status, "indicator"));
        Assert.Equal("Partial System Outage", String(status, "description"));
    }

    [Theory]
    [InlineData(Impact.None, ComponentStatus.Operational, "none")]
    [InlineData(Impact.None, ComponentStatus.DegradedPerformance, "minor")]
    [InlineData(Impact.Major, ComponentStatus.Operational, "major")]
    [InlineData(Impact.Critical, ComponentStatus.Operational, "critical")]
    [InlineData(Impact.None, ComponentStatus.UnderMaintenance, "maintenance")]
    public void Status_indicator_takes_only_statuspages_values(Impact openImpact, ComponentStatus componentStatus, string expected)
    {
        var data = Sample with { Indicator = PageStatus.From(openImpact == Impact.None ? [] : [openImpact], [componentStatus]) };

        var indicator = String(Read(StatuspageApi.Status(data)).GetProperty("status"), "indicator");

        Assert.Equal(expected, indicator);
        OneOf(Indicators, indicator);
    }

    [Fact]
    public void Every_component_has_statuspages_fields_types_and_nullability()
    {
        var components = Array(Read(StatuspageApi.Components(Sample)), "components");

        Assert.Equal(7, components.GetArrayLength());
        foreach (var component in components.EnumerateArray())
        {
            var isGroup = Bool(component, "group");
            HasExactly(component, isGroup ? GroupKeys : ComponentKeys);
            String(component, "id");
            String(component, "name");
            OneOf(ComponentStatuses, String(component, "status"));
            Time(component, "created_at");
            Time(component, "updated_at");
            Int(component, "position");
            NullableString(component, "description");
            Assert.Equal(!isGroup, Bool(component, "showcase"));
            var startDate = NullableString(component, "start_date");
            if (isGroup)
            {
                Assert.Null(startDate);
                Assert.Null(NullableString(component, "group_id"));
                Assert.All(Array(component, "components").EnumerateArray(), id => Assert.Equal(JsonValueKind.String, id.ValueKind));
            }
            else
            {
                Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", startDate);
                NullableString(component, "group_id");
            }
            Assert.Equal(StatusSample.PageId, String(component, "page_id"));
            Assert.False(Bool(component, "only_show_if_degraded"));
        }
    }

    [Fact]
    public void A_plain_component_reports_its_own_data()
    {
        var components = Array(Read(StatuspageApi.Components(Sample)), "components");
        var docs = Find(components, StatusSample.Docs.ToString());

        Assert.Equal("Documentation", String(docs, "name"));
        Assert.Equal("operational", String(docs, "status"));
        Assert.Equal("2026-01-12T09:30:00.123Z", String(docs, "created_at"));
        Assert.Equal("2026-01-12", String(docs, "start_date"));
        Assert.Null(NullableString(docs, "description"));
        Assert.Null(NullableString(docs, "group_id"));
        Assert.False(Bool(docs, "group"));
        Assert.True(Bool(docs, "showcase"));
        Assert.Equal("Web app for customers", String(Find(components, StatusSample.WebApp.ToString()), "description"));
    }

    [Fact]
    public void One_group_component_is_synthesized_per_group_name_with_its_members_and_worst_status()
    {
        var components = Array(Read(StatuspageApi.Components(Sample)), "components");
        var groups = components.EnumerateArray().Where(c => Bool(c, "group")).ToList();

        Assert.Equal(["Core platform", "Notifications"], groups.Select(g => String(g, "name")));
        var core = groups[0];
        var notifications = groups[1];
        Assert.Equal([StatusSample.Api.ToString(), StatusSample.WebApp.ToString()], Array(core, "components").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([StatusSample.Email.ToString(), StatusSample.Sms.ToString()], Array(notifications, "components").EnumerateArray().Select(e => e.GetString()));
        // API is partially down and the web app degraded: the group shows the worse of the two.
        Assert.Equal("partial_outage", String(core, "status"));
        // Maintenance is worse than operational but no outage.
        Assert.Equal("under_maintenance", String(notifications, "status"));
        Assert.Null(NullableString(core, "description"));
        Assert.Equal(StatusSample.Created, Time(core, "created_at"));
        Assert.Equal(StatusSample.Opened, Time(core, "updated_at"));
        Assert.Equal(StatusSample.LastWeek.AddMinutes(70), Time(notifications, "updated_at"));

        foreach (var group in groups)
        {
            foreach (var memberId in Array(group, "components").EnumerateArray())
            {
                var member = Find(components, memberId.GetString()!);
                Assert.Equal(String(group, "id"), NullableString(member, "group_id"));
                Assert.False(Bool(member, "group"));
            }
        }
    }

    [Fact]
    public void Group_ids_are_the_first_12_hex_digits_of_sha256_over_page_id_and_group_name()
    {
        var components = Array(Read(StatuspageApi.Components(Sample)), "components");
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(StatusSample.PageId + "\n" + "Core platform")))[..12];

        var core = components.EnumerateArray().Single(c => Bool(c, "group") && String(c, "name") == "Core platform");

        Assert.Equal(expected, String(core, "id"));
        Assert.Matches("^[0-9a-f]{12}$", expected);
        // Another page with the same group name gets another id.
        var other = Array(Read(StatuspageApi.Components(Sample with { Page = Sample.Page with { Id = "other" } })), "components");
        Assert.NotEqual(expected, String(other.EnumerateArray().First(c => Bool(c, "group")), "id"));
    }

    [Fact]
    public void Components_are_one_flat_list_by_position_with_each_group_just_before_its_members()
    {
        var components = Array(Read(StatuspageApi.Components(Sample)), "components").EnumerateArray().ToList();

        Assert.Equal(
            ["Core platform", "API", "Web app", "Documentation", "Notifications", "Email delivery", "SMS delivery"],
            components.Select(c => String(c, "name")));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], components.Select(c => Int(c, "position")));
    }

    [Fact]
    public void A_group_whose_members_are_spread_out_is_kept_together_where_its_first_member_was()
    {
        var data = Sample with
        {
            Components = [.. Sample.Components.Select(c => c.Id == StatusSample.WebApp ? c with { Position = 9 } : c)],
        };

        var names = Array(Read(StatuspageApi.Components(data)), "components").EnumerateArray().Select(c => String(c, "name"));

        Assert.Equal(["Core platform", "API", "Web app", "Documentation", "Notifications", "Email delivery", "SMS delivery"], names);
    }

    [Fact]
    public void Every_incident_and_update_has_statuspages_fields_types_and_nullability()
    {
        var incidents = Array(Read(StatuspageApi.Incidents(Sample)), "incidents");

        Assert.Equal(2, incidents.GetArrayLength());
        foreach (var incident in incidents.EnumerateArray())
        {
            HasExactly(incident, IncidentKeys);
            var id = String(incident, "id");
            String(incident, "name");
            OneOf(IncidentStatuses, String(incident, "status"));
            OneOf(Impacts, String(incident, "impact"));
            Assert.Equal(Time(incident, "created_at"), Time(incident, "started_at"));
            Time(incident, "updated_at");
            NullableTime(incident, "monitoring_at");
            NullableTime(incident, "resolved_at");
            Assert.StartsWith(StatusSample.PageUrl + "/incidents/", String(incident, "shortlink"), StringComparison.Ordinal);
            Assert.Equal(StatusSample.PageId, String(incident, "page_id"));
            foreach (var update in Array(incident, "incident_updates").EnumerateArray())
            {
                HasExactly(update, UpdateKeys);
                String(update, "id");
                OneOf(IncidentStatuses, String(update, "status"));
                String(update, "body");
                Assert.Equal(id, String(update, "incident_id"));
                var created = Time(update, "created_at");
                Assert.Equal(created, Time(update, "updated_at"));
                Assert.Equal(created, Time(update, "display_at"));
                Assert.True(Bool(update, "deliver_notifications"));
                Assert.Equal(JsonValueKind.Null, update.GetProperty("custom_tweet").ValueKind);
                Assert.Equal(JsonValueKind.Null, update.GetProperty("tweet_id").ValueKind);
                var affected = update.GetProperty("affected_components");
                Assert.True(affected.ValueKind is JsonValueKind.Array or JsonValueKind.Null);
                if (affected.ValueKind == JsonValueKind.Array)
                {
                    Assert.NotEqual(0, affected.GetArrayLength());
                    foreach (var change in affected.EnumerateArray())
                    {
                        HasExactly(change, AffectedComponentKeys);
                        String(change, "code");
                        String(change, "name");
                        OneOf(ComponentStatuses, String(change, "old_status"));
                        OneOf(ComponentStatuses, String(change, "new_status"));
                    }
                }
            }
            foreach (var component in Array(incident, "components").EnumerateArray())
            {
                HasExactly(component, ComponentKeys);
            }
        }
    }

    [Fact]
    public void The_open_incident_reads_as_statuspage_would_show_it()
    {
        var incident = Array(Read(StatuspageApi.Incidents(Sample)), "incidents")[0];

        Assert.Equal(StatusSample.OpenIncident.ToString(), String(incident, "id"));
        Assert.Equal("Elevated API error rates", String(incident, "name"));
        Assert.Equal("identified", String(incident, "status"));
        Assert.Equal("major", String(incident, "impact"));
        Assert.Equal("2026-11-27T21:05:00.000Z", String(incident, "created_at"));
        Assert.Equal("2026-11-27T21:30:00.250Z", String(incident, "updated_at"));
        Assert.Null(NullableTime(incident, "monitoring_at"));
        Assert.Null(NullableTime(incident, "resolved_at"));

        var updates = Array(incident, "incident_updates").EnumerateArray().ToList();
        Assert.Equal(["identified", "investigating"], updates.Select(u => String(u, "status")));
        Assert.Equal("A faulty configuration push is being rolled back; <b>no data</b> was lost & writes are queued.", String(updates[0], "body"));
        Assert.Equal(JsonValueKind.Null, updates[0].GetProperty("affected_components").ValueKind);
        var changes = Array(updates[1], "affected_components").EnumerateArray().ToList();
        Assert.Equal(StatusSample.Api.ToString(), String(changes[0], "code"));
        Assert.Equal("API", String(changes[0], "name"));
        Assert.Equal("operational", String(changes[0], "old_status"));
        Assert.Equal("partial_outage", String(changes[0], "new_status"));
        Assert.Equal("degraded_performance", String(changes[1], "new_status"));
    }

    [Fact]
    public void An_incidents_components_are_the_pages_full_component_objects_with_their_current_status()
    {
        var document = Read(StatuspageApi.Incidents(Sample));
        var page = Array(Read(StatuspageApi.Components(Sample)), "components");
        var resolved = Array(document, "incidents")[1];

        var components = Array(Array(document, "incidents")[0], "components").EnumerateArray().ToList();

        Assert.Equal([StatusSample.Api.ToString(), StatusSample.WebApp.ToString()], components.Select(c => String(c, "id")));
        foreach (var component in components)
        {
            Assert.Equal(Find(page, String(component, "id")).GetRawText(), component.GetRawText());
        }
        Assert.Equal("operational", String(Array(resolved, "components")[0], "status"));
        Assert.Equal("resolved", String(resolved, "status"));
        Assert.Equal("2026-11-20T08:40:00.000Z", String(resolved, "monitoring_at"));
        Assert.Equal("2026-11-20T09:10:00.000Z", String(resolved, "resolved_at"));
    }

    [Fact]
    public void A_component_no_longer_on_the_page_keeps_what_the_incident_recorded()
    {
        var gone = Guid.Parse("0193a0d2-0000-7000-8000-0000000000ff");
        var incident = StatusSample.Open() with { Components = [new AffectedComponent(gone, "Legacy API", ComponentStatus.MajorOutage)] };

        var component = Array(Array(Read(StatuspageApi.Incidents(StatusSample.Data([incident]))), "incidents")[0], "components")[0];

        HasExactly(component, ComponentKeys);
        Assert.Equal(gone.ToString(), String(component, "id"));
        Assert.Equal("Legacy API", String(component, "name"));
        Assert.Equal("major_outage", String(component, "status"));
        Assert.Null(NullableString(component, "group_id"));
    }

    [Fact]
    public void Summary_and_unresolved_list_only_open_incidents_and_summary_ends_with_the_status()
    {
        var summary = Read(StatuspageApi.Summary(Sample));
        var unresolved = Read(StatuspageApi.UnresolvedIncidents(Sample));

        Assert.Equal([StatusSample.OpenIncident.ToString()], Array(summary, "incidents").EnumerateArray().Select(i => String(i, "id")));
        Assert.Equal([StatusSample.OpenIncident.ToString()], Array(unresolved, "incidents").EnumerateArray().Select(i => String(i, "id")));
        Assert.Equal(7, Array(summary, "components").GetArrayLength());
        Assert.Equal(0, Array(summary, "scheduled_maintenances").GetArrayLength());
        Assert.Equal("major", String(summary.GetProperty("status"), "indicator"));
        Assert.Equal(["page", "components", "incidents", "scheduled_maintenances", "status"], summary.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Incidents_lists_the_50_most_recent_newest_first()
    {
        var data = StatusSample.Data(StatusSample.History(60));

        var names = Array(Read(StatuspageApi.Incidents(data)), "incidents").EnumerateArray().Select(i => String(i, "name")).ToList();

        Assert.Equal(Enumerable.Range(1, 50).Select(n => $"Incident {n}"), names);
    }

    [Theory]
    [InlineData("scheduled-maintenances")]
    [InlineData("scheduled-maintenances/upcoming")]
    [InlineData("scheduled-maintenances/active")]
    public void Maintenance_documents_are_empty_lists_until_maintenances_exist(string name)
    {
        var maintenances = Array(Read(Document(name, Sample)), "scheduled_maintenances");

        Assert.Equal(0, maintenances.GetArrayLength());
    }

    [Fact]
    public void Times_with_an_offset_are_written_in_utc_with_milliseconds()
    {
        var local = new DateTimeOffset(2026, 11, 27, 23, 5, 0, TimeSpan.FromHours(2));
        var data = Sample with { Page = Sample.Page with { UpdatedAt = local } };

        Assert.Equal("2026-11-27T21:05:00.000Z", String(Read(StatuspageApi.Status(data)).GetProperty("page"), "updated_at"));
    }

    [Fact]
    public void Documents_are_built_afresh_so_the_same_snapshot_renders_twice_alike()
    {
        Assert.Equal(StatuspageApi.Summary(Sample).ToJsonString(), StatuspageApi.Summary(Sample).ToJsonString());
    }

    [Fact]
    public void A_page_without_groups_or_incidents_has_only_plain_components()
    {
        var data = Sample with
        {
            Components = [.. Sample.Components.Select(c => c with { Group = null, Status = ComponentStatus.Operational })],
            Incidents = [],
        };

        var components = Array(Read(StatuspageApi.Summary(data)), "components").EnumerateArray().ToList();

        Assert.Equal(5, components.Count);
        Assert.All(components, c => Assert.False(Bool(c, "group")));
        Assert.All(components, c => Assert.Null(NullableString(c, "group_id")));
    }

    private static JsonElement Find(JsonElement components, string id) =>
        components.EnumerateArray().Single(c => String(c, "id") == id);
}
