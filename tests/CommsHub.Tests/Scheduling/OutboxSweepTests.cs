using CommsHub.Core.Scheduling;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Scheduling;

/// <summary>
/// The <c>outbox-sweep</c> job is the safety net under the dispatchers: it publishes only rows that have waited
/// longer than <c>Outbox:SweepAfter</c>, never a row a live dispatcher is about to send.
/// </summary>
public sealed class OutboxSweepTests : FakeClockAppTest
{
    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Outbox:DispatcherEnabled"] = "false",
        ["Outbox:SweepAfter"] = "00:00:30",
        ["Scheduling:Recurring:outbox-sweep"] = "-",
    };

    [Fact]
    public async Task The_sweep_leaves_young_rows_to_the_dispatchers_and_publishes_the_ones_that_waited()
    {
        await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        Assert.Equal(1, await PendingAsync());

        AdvanceTo(T0.AddSeconds(29));
        await SweepAsync();
        Assert.Equal(1, await PendingAsync());

        AdvanceTo(T0.AddSeconds(31));
        await SweepAsync();
        Assert.Equal(0, await PendingAsync());
    }

    private Task<int> PendingAsync() => WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.PublishedAt == null));

    private async Task SweepAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<Housekeeping>().SweepOutboxAsync(CancellationToken.None);
    }
}
