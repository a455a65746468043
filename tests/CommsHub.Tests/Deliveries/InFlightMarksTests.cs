using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Deliveries;

/// <summary>Requests are marked in flight a few at a time, in whatever order the parallel senders reach them.</summary>
public sealed class InFlightMarksTests : SqliteAppTest
{
    [Fact]
    public async Task A_request_reached_after_a_later_one_is_still_marked_before_it_leaves()
    {
        var updateId = Guid.NewGuid();
        await WithDbAsync(async db =>
        {
            for (var i = 0; i < 6; i++)
            {
                db.Deliveries.Add(new Core.Deliveries.Delivery
                {
                    UpdateId = updateId, IncidentId = Guid.NewGuid(), SubscriberId = Guid.NewGuid(), Channel = Channel.Sms,
                    Recipient = $"+1202555017{i}", Batch = 1, CreatedAt = DateTimeOffset.UtcNow,
                });
            }
            return await db.SaveChangesAsync();
        });
        await using var scope = App.Services.CreateAsyncScope();
        var lease = await scope.ServiceProvider.GetRequiredService<DeliveryLeases>().ClaimAsync(updateId, Channel.Sms, 1, CancellationToken.None);
        var requests = lease.Deliveries.Chunk(1).ToList<IReadOnlyList<LeasedDelivery>>();
        using var marks = new InFlightMarks(App.Services.GetRequiredService<IServiceScopeFactory>(), lease, requests, window: 2, TimeProvider.System);

        // Request 3 takes the gate first (the sender of request 2 was still pacing), then request 2 comes.
        var third = await marks.MarkAsync(3, CancellationToken.None);
        var second = await marks.MarkAsync(2, CancellationToken.None);

        Assert.NotNull(Assert.Single(third).InFlightAt);
        Assert.NotNull(Assert.Single(second).InFlightAt);
        Assert.NotEqual(default, Assert.Single(second).InFlightAt!.Value);
        var stored = await WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.UpdateId == updateId).ToDictionaryAsync(d => d.Id, d => d.InFlightAt));
        Assert.NotNull(stored[second[0].Id]);
        Assert.NotNull(stored[third[0].Id]);
    }
}
