using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Scheduling;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Scheduling;

/// <summary>The retention job removes what is past its keeping time, and only that.</summary>
public sealed class RetentionTests : SqliteAppTest
{
    [Fact]
    public async Task Deliveries_and_the_sealed_messages_they_carried_go_after_their_keeping_time_and_newer_ones_stay()
    {
        var old = DateTimeOffset.UtcNow.AddDays(-500);
        var recent = DateTimeOffset.UtcNow.AddDays(-1);
        OutboundMessage Message(DateTimeOffset at) => new() { Kind = DeliveryKind.Confirmation, Purpose = "subscription.confirmation", CreatedAt = at, SealedContent = "sealed" };
        var (gone, kept) = (Message(old), Message(recent));
        await WithDbAsync(async db =>
        {
            db.Messages.AddRange(gone, kept);
            foreach (var m in new[] { gone, kept })
            {
                db.Deliveries.Add(new Core.Deliveries.Delivery
                {
                    UpdateId = m.Id, Kind = DeliveryKind.Confirmation, SubscriberId = Guid.NewGuid(), Channel = Channel.Email,
                    Recipient = "someone@example.com", CreatedAt = m.CreatedAt, Batch = 1,
                });
            }
            return await db.SaveChangesAsync();
        });

        await using (var scope = App.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<Housekeeping>().ApplyRetentionAsync(CancellationToken.None);
        }

        Assert.Equal([kept.Id], await WithDbAsync(db => db.Messages.Select(m => m.Id).ToListAsync()));
        Assert.Equal([kept.Id], await WithDbAsync(db => db.Deliveries.Select(d => d.UpdateId).ToListAsync()));
    }
}
