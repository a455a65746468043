using System.Text;
using CommsHub.Core.StatusPage;
using CommsHub.Core.StatusPage.Feeds;
using Calendar = Ical.Net.Calendar;

namespace CommsHub.Tests.StatusPage;

public sealed class MaintenanceCalendarTests
{
    private static readonly StatusData Sample = StatusSample.Data();

    private static readonly MaintenanceWindow Window = new(
        Guid.Parse("0193a0d2-0000-7000-8000-0000000000c1"),
        "Database upgrade; expect brief read-only periods",
        "We are upgrading the primary database, cluster by cluster.\nWrites may pause for up to 30 seconds, twice; reads continue. "
            + "Näherungsweise 2 × 30 s — nothing to do on your side. Details follow on the status page as the work proceeds.",
        new DateTimeOffset(2026, 12, 5, 22, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 12, 6, 0, 30, 0, TimeSpan.Zero),
        Revision: 2, Cancelled: false, UpdatedAt: new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero),
        Shortlink: "incidents/0193a0d2-0000-7000-8000-0000000000c1");

    [Fact]
    public void The_calendar_without_maintenances_has_the_required_properties_and_no_events()
    {
        var ics = StatusFeeds.Ics(Sample);

        Assert.Equal(
            "BEGIN:VCALENDAR\r\nPRODID:-//CommsHub//Status page maintenances//EN\r\nVERSION:2.0\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n"
            + "X-WR-CALNAME:Acme maintenance\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\nX-PUBLISHED-TTL:PT1H\r\nEND:VCALENDAR\r\n",
            ics);
        var calendar = Calendar.Load(ics)!;
        Assert.Equal("-//CommsHub//Status page maintenances//EN", calendar.ProductId);
        Assert.Equal("2.0", calendar.Version);
        Assert.Equal("GREGORIAN", calendar.Scale);
        Assert.Equal("PUBLISH", calendar.Method);
        Assert.Empty(calendar.Events);
    }

    [Fact]
    public void A_maintenance_window_becomes_one_vevent_an_rfc_5545_parser_reads_back()
    {
        var ics = MaintenanceCalendar.Write(Sample, [Window]);

        var calendarEvent = Assert.Single(Calendar.Load(ics)!.Events);
        Assert.Equal("maintenance-0193a0d2-0000-7000-8000-0000000000c1@status.example.com", calendarEvent.Uid);
        Assert.Equal(2, calendarEvent.Sequence);
        Assert.Equal("CONFIRMED", calendarEvent.Status);
        Assert.Equal("TRANSPARENT", calendarEvent.Transparency);
        Assert.Equal(Window.Title, calendarEvent.Summary);
        Assert.Equal(Window.Description, calendarEvent.Description);
        Assert.Equal(new Uri("https://status.example.com/incidents/0193a0d2-0000-7000-8000-0000000000c1"), calendarEvent.Url);
        Assert.True(calendarEvent.DtStart!.IsUtc);
        Assert.Equal(Window.ScheduledFor.UtcDateTime, calendarEvent.DtStart.AsUtc);
        Assert.Equal(Window.ScheduledUntil.UtcDateTime, calendarEvent.DtEnd!.AsUtc);
        Assert.Equal(Window.UpdatedAt.UtcDateTime, calendarEvent.LastModified!.AsUtc);
        Assert.Equal(Window.UpdatedAt.UtcDateTime, calendarEvent.DtStamp!.AsUtc);
        Assert.Contains("\r\nDTSTART:20261205T220000Z\r\n", ics, StringComparison.Ordinal);
        Assert.Contains("\r\nSUMMARY:Database upgrade\\; expect brief read-only periods\r\n", ics, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cancelled_window_keeps_its_uid_with_a_higher_sequence_and_status_cancelled()
    {
        var first = Assert.Single(Calendar.Load(MaintenanceCalendar.Write(Sample, [Window]))!.Events);
        var cancelled = Window with { Revision = Window.Revision + 1, Cancelled = true };

        var second = Assert.Single(Calendar.Load(MaintenanceCalendar.Write(Sample, [cancelled]))!.Events);

        Assert.Equal(first.Uid, second.Uid);
        Assert.True(second.Sequence > first.Sequence);
        Assert.Equal("CANCELLED", second.Status);
    }

    [Fact]
    public void Every_line_ends_in_crlf_and_is_folded_at_75_octets_without_splitting_a_character()
    {
        var ics = MaintenanceCalendar.Write(Sample, [Window with { Title = new string('é', 60) + " window" }]);

        Assert.EndsWith("\r\n", ics, StringComparison.Ordinal);
        var lines = ics[..^2].Split("\r\n");
        Assert.All(lines, line => Assert.DoesNotContain('\n', line));
        Assert.All(lines, line => Assert.DoesNotContain('\r', line));
        Assert.All(lines, line => Assert.InRange(Encoding.UTF8.GetByteCount(line), 1, 75));
        Assert.Contains(lines, line => line.StartsWith(' '));
        // Each physical line is whole UTF-8 on its own: folding never cut a multi-byte character in two.
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        Assert.All(lines, line => Assert.Equal(line, strict.GetString(strict.GetBytes(line))));
        // Unfolding (drop CRLF + one space) gives back the logical lines.
        var unfolded = ics.Replace("\r\n ", "", StringComparison.Ordinal);
        Assert.Contains("\r\nSUMMARY:" + new string('é', 60) + " window\r\n", unfolded, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_values_escape_backslash_semicolon_comma_and_line_breaks()
    {
        // A control character (BEL here) shows as U+FFFD, as on every other public resource.
        Assert.Equal(@"a\\b\; c\, d\ne\nf" + "\uFFFD", IcsWriter.Escape("a\\b; c, d\r\ne\nf\u0007"));
    }

    [Fact]
    public void The_calendar_is_named_after_the_page_and_escaped()
    {
        var data = Sample with { Page = Sample.Page with { Name = "Acme, Inc." } };

        Assert.Contains("\r\nX-WR-CALNAME:Acme\\, Inc. maintenance\r\n", StatusFeeds.Ics(data), StringComparison.Ordinal);
    }

    [Fact]
    public void The_calendar_has_every_maintenance_of_the_snapshot_and_marks_the_cancelled_one_cancelled()
    {
        var events = Calendar.Load(StatusFeeds.Ics(MaintenanceSample.Data()))!.Events.ToDictionary(e => e.Uid!);

        Assert.Equal(5, events.Count);
        var cancelled = events[$"maintenance-{MaintenanceSample.Cancelled:D}@status.example.com"];
        Assert.Equal("CANCELLED", cancelled.Status);
        Assert.Equal("Search reindex", cancelled.Summary);
        Assert.All(events.Values.Where(e => e != cancelled), e => Assert.Equal("CONFIRMED", e.Status));
        var upcoming = events[$"maintenance-{MaintenanceSample.Upcoming:D}@status.example.com"];
        Assert.Equal(MaintenanceSample.UpcomingFrom.UtcDateTime, upcoming.DtStart!.AsUtc);
        Assert.Equal(MaintenanceSample.UpcomingUntil.UtcDateTime, upcoming.DtEnd!.AsUtc);
        Assert.Equal("We will upgrade the primary database.", upcoming.Description);
        Assert.Equal(new Uri($"https://status.example.com/incidents/{MaintenanceSample.Upcoming}"), upcoming.Url);
        // Past the announcement, the description leads with where the maintenance stands.
        Assert.Equal("In progress: The migration has begun.\n\nWe are moving to a new SMS provider.",
            events[$"maintenance-{MaintenanceSample.InProgress:D}@status.example.com"].Description);
    }

    [Fact]
    public void An_unchanged_maintenance_reads_the_same_at_every_rebuild()
    {
        var data = MaintenanceSample.Data();
        var later = data with { GeneratedAt = data.GeneratedAt.AddHours(5) };

        Assert.Equal(StatusFeeds.Ics(data), StatusFeeds.Ics(later));
        var stamp = Calendar.Load(StatusFeeds.Ics(data))!.Events.Single(e => e.Uid!.Contains(MaintenanceSample.InProgress.ToString(), StringComparison.Ordinal)).DtStamp!;
        Assert.Equal(MaintenanceSample.Started.UtcDateTime, stamp.AsUtc);
    }

    [Fact]
    public void Each_change_to_a_maintenance_raises_its_sequence_and_moves_its_stamp()
    {
        var first = MaintenanceSample.Next();
        var moved = first with
        {
            Incident = first.Incident with { UpdatedAt = first.Incident.UpdatedAt.AddMinutes(10) },
            ScheduledFor = first.ScheduledFor.AddDays(1),
        };
        var movedAgain = moved with { Incident = moved.Incident with { UpdatedAt = moved.Incident.UpdatedAt.AddSeconds(1) } };

        var windows = new[] { first, moved, movedAgain }.Select(MaintenanceWindow.From).ToList();

        Assert.Equal(0, windows[0].Revision);
        Assert.True(windows[1].Revision > windows[0].Revision);
        Assert.True(windows[2].Revision > windows[1].Revision);
        var events = windows.Select(w => Assert.Single(Calendar.Load(MaintenanceCalendar.Write(Sample, [w]))!.Events)).ToList();
        Assert.Equal(windows.Select(w => w.UpdatedAt.UtcDateTime), events.Select(e => e.DtStamp!.AsUtc));
        Assert.Single(events.Select(e => e.Uid).Distinct());
    }
}
