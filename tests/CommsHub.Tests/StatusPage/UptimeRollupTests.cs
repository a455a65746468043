using CommsHub.Core.Common;
using CommsHub.Core.Components;
using CommsHub.Core.Data;
using CommsHub.Core.StatusPage;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CommsHub.Tests.StatusPage;

/// <summary>
/// The 90-day bars read from stored days and today's history are exactly the bars computed from the
/// whole history, whichever days are stored: none, all, or all but a few.
/// </summary>
public sealed class UptimeRollupTests : SqliteAppTest
{
    // Berlin: the window crosses the end of summer time (25 Oct 2026), whose day lasts 25 hours.
    private const string Zone = "Europe/Berlin";
    private static readonly TimeZoneInfo BerlinZone = TimeZoneInfo.FindSystemTimeZoneById(Zone);
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 15, 20, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = new(2026, 11, 29);

    // The host's own hourly job runs on the real clock and zone: kept out of this test's data.
    protected override Dictionary<string, string?> Settings() => new() { ["Scheduling:Recurring:uptime-rollup"] = "-" };

    [Fact]
    public async Task Bars_from_stored_days_equal_bars_from_the_whole_history_with_and_without_a_missing_day()
    {
        var components = await SeedAsync();
        var expected = await ExpectedAsync(components);
        Assert.Contains(expected.Values.SelectMany(days => days), d => d.Operational is > 0 and < 1);
        Assert.Contains(expected.Values.SelectMany(days => days), d => d.Worst == ComponentStatus.MajorOutage);

        // Nothing stored yet: every day from the history.
        await AssertBarsAsync(expected);

        var stored = await RollUpAsync();
        var closedDays = expected.Values.Sum(days => days.Count(d => d.Day < Today));
        Assert.Equal(closedDays, stored);
        Assert.Equal(closedDays, await WithDbAsync(db => db.Set<ComponentUptimeDay>().CountAsync()));
        Assert.Equal(0, await RollUpAsync());
        await AssertBarsAsync(expected);

        // A day missing in the middle (the 25-hour one, for every component) and another for one component only.
        var dst = new DateOnly(2026, 10, 25);
        var oneOff = new DateOnly(2026, 11, 3);
        var first = components[0].Id;
        await WithDbAsync(db => db.Set<ComponentUptimeDay>().Where(d => d.Day == dst || (d.Day == oneOff && d.ComponentId == first)).ExecuteDeleteAsync());
        await AssertBarsAsync(expected);

        // The next run stores just those, as they were.
        Assert.Equal(components.Count(c => UptimeDays.Shown(dst, c.CreatedAt, Now, BerlinZone)) + 1, await RollUpAsync());
        var rows = await WithDbAsync(db => db.Set<ComponentUptimeDay>().AsNoTracking().ToListAsync());
        Assert.All(rows, r => Assert.Equal(expected[r.ComponentId].Single(d => d.Day == r.Day), new DayUptime(r.Day, r.Operational, r.Worst)));

        // With every closed day stored, older history is not needed: only the status each component had at midnight.
        var midnight = UptimeDays.Start(Today, BerlinZone).ToUniversalTime();
        await WithDbAsync(async db =>
        {
            var keep = (await db.Set<ComponentStatusHistory>().Where(h => h.At < midnight).ToListAsync())
                .GroupBy(h => h.ComponentId).Select(g => g.MaxBy(h => (h.At, h.Id))!.Id).ToList();
            return await db.Set<ComponentStatusHistory>().Where(h => h.At < midnight && !keep.Contains(h.Id)).ExecuteDeleteAsync();
        });
        await AssertBarsAsync(expected);
    }

    [Fact]
    public async Task Days_that_left_the_window_are_dropped_and_today_is_never_stored()
    {
        var components = await SeedAsync();
        await RollUpAsync();

        Assert.Equal(0, await WithDbAsync(db => db.Set<ComponentUptimeDay>().CountAsync(d => d.Day >= Today)));
        var later = Now.AddDays(10);
        await RollUpAsync(later);

        var days = await WithDbAsync(db => db.Set<ComponentUptimeDay>().Select(d => d.Day).Distinct().ToListAsync());
        Assert.Equal(UptimeDays.First(UptimeDays.Today(later, BerlinZone)), days.Min());
        Assert.Equal(UptimeDays.Today(later, BerlinZone).AddDays(-1), days.Max());
        Assert.NotEmpty(components);
    }

    /// <summary>Three components: one older than the window, one created mid-window at 13:17, one created today.</summary>
    private async Task<List<Component>> SeedAsync()
    {
        var components = new List<Component>
        {
            StatusSeed.Component("API", new DateTimeOffset(2026, 6, 1, 8, 0, 0, TimeSpan.Zero)),
            StatusSeed.Component("Search", new DateTimeOffset(2026, 10, 10, 13, 17, 0, TimeSpan.Zero)),
            StatusSeed.Component("Export", new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero)),
        };
        var random = new Random(20261129);
        var statuses = Enum.GetValues<ComponentStatus>();
        var history = new List<ComponentStatusHistory>();
        foreach (var component in components)
        {
            for (var at = component.CreatedAt.AddHours(3); at < Now; at = at.AddMinutes(random.Next(60, 36 * 60)))
            {
                history.Add(new ComponentStatusHistory { ComponentId = component.Id, Status = statuses[random.Next(statuses.Length)], At = at });
            }
        }
        // An outage that spans the window's first midnight; a change exactly at local midnight; two at the same
        // instant; and changes in the first hours after the local midnights where reading starts (the 25-hour
        // day and today), which UTC midnight would miss. Stored in UTC, as the services store every time.
        var api = components[0].Id;
        void Change(DateTimeOffset at, ComponentStatus status) =>
            history.Add(new ComponentStatusHistory { ComponentId = api, Status = status, At = at.ToUniversalTime() });
        Change(UptimeDays.Start(UptimeDays.First(Today), BerlinZone).AddHours(-5), ComponentStatus.MajorOutage);
        Change(UptimeDays.Start(new DateOnly(2026, 11, 10), BerlinZone), ComponentStatus.PartialOutage);
        var tie = UptimeDays.Start(new DateOnly(2026, 11, 20), BerlinZone).AddHours(7);
        Change(tie, ComponentStatus.MajorOutage);
        Change(tie, ComponentStatus.DegradedPerformance);
        foreach (var midnight in new[] { UptimeDays.Start(new DateOnly(2026, 10, 25), BerlinZone), UptimeDays.Start(Today, BerlinZone) })
        {
            Change(midnight.AddMinutes(-10), ComponentStatus.PartialOutage);
            Change(midnight.AddMinutes(20), ComponentStatus.MajorOutage);
            Change(midnight.AddMinutes(80), ComponentStatus.DegradedPerformance);
        }
        await WithDbAsync(db =>
        {
            db.AddRange(components);
            db.AddRange(history);
            return db.SaveChangesAsync();
        });
        return components;
    }

    /// <summary>The oracle: the whole history read as the loader read it before roll-ups, through <see cref="WholeHistory"/>.</summary>
    private Task<Dictionary<Guid, List<DayUptime>>> ExpectedAsync(List<Component> components) => WithDbAsync(async db =>
    {
        var history = (await db.Set<ComponentStatusHistory>().AsNoTracking().OrderBy(h => h.At).ThenBy(h => h.Id).ToListAsync())
            .GroupBy(h => h.ComponentId).ToDictionary(g => g.Key, g => g.ToList());
        return components.ToDictionary(c => c.Id, c => WholeHistory(history.GetValueOrDefault(c.Id) ?? [], c, Now, BerlinZone));
    });

    /// <summary>The loader's computation before roll-ups existed, kept verbatim so the new path is held to it.</summary>
    private static List<DayUptime> WholeHistory(List<ComponentStatusHistory> history, Component component, DateTimeOffset now, TimeZoneInfo zone)
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var days = new List<DayUptime>(StatusPageOptions.UptimeDays);
        for (var d = today.AddDays(-(StatusPageOptions.UptimeDays - 1)); d <= today; d = d.AddDays(1))
        {
            var start = new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), zone.GetUtcOffset(d.ToDateTime(TimeOnly.MinValue)));
            var end = start.AddDays(1) < now ? start.AddDays(1) : now;
            if (end <= component.CreatedAt)
            {
                continue;
            }
            var from = start < component.CreatedAt ? component.CreatedAt : start;
            double down = 0;
            var worst = ComponentStatus.Operational;
            var status = history.LastOrDefault(h => h.At <= from)?.Status ?? ComponentStatus.Operational;
            var cursor = from;
            foreach (var change in history.Where(h => h.At > from && h.At < end).Append(null))
            {
                var until = change?.At ?? end;
                down += (until - cursor).TotalSeconds * Weight(status);
                worst = Rank(status) > Rank(worst) ? status : worst;
                if (change is null)
                {
                    break;
                }
                status = change.Status;
                cursor = until;
            }
            var total = (end - from).TotalSeconds;
            days.Add(new DayUptime(d, total <= 0 ? 1 : Math.Clamp(1 - (down / total), 0, 1), worst));
        }
        return days;

        static double Weight(ComponentStatus s) => s switch { ComponentStatus.MajorOutage => 1, ComponentStatus.PartialOutage => 0.3, _ => 0 };

        static int Rank(ComponentStatus s) => s switch
        {
            ComponentStatus.MajorOutage => 4,
            ComponentStatus.PartialOutage => 3,
            ComponentStatus.DegradedPerformance => 2,
            ComponentStatus.UnderMaintenance => 1,
            _ => 0,
        };
    }

    private async Task AssertBarsAsync(Dictionary<Guid, List<DayUptime>> expected)
    {
        await using var scope = App.Services.CreateAsyncScope();
        var data = await StatusSeed.Loader(scope.ServiceProvider, Now, Zone).LoadAsync(CancellationToken.None);
        Assert.Equal(expected.Keys.Order(), data.Components.Select(c => c.Id).Order());
        Assert.All(data.Components, c => Assert.Equal(expected[c.Id], c.Uptime));
    }

    private async Task<int> RollUpAsync(DateTimeOffset? now = null)
    {
        await using var scope = App.Services.CreateAsyncScope();
        var rollup = new UptimeRollup(scope.ServiceProvider.GetRequiredService<CommsHubDbContext>(),
            Options.Create(new StatusPageOptions { TimeZone = Zone }), new FixedTime(now ?? Now));
        return await rollup.RollUpAsync(CancellationToken.None);
    }
}
