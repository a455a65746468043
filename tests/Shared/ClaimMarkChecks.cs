using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Testing;

/// <summary>
/// A claim marks the deliveries its sender's first requests carry in flight in its own write (on PostgreSQL, in the
/// claim's one statement): an email batch's request leaves with no write of its own between claim and send. Each
/// provider's suite runs these against its own database.
/// </summary>
public static class ClaimMarkChecks
{
    public static async Task A_claim_marks_its_first_requests_and_they_leave_without_a_write_of_their_own(IServiceProvider services)
    {
        var updateId = await QueuedSmsAsync(services, 6);
        var before = DateTimeOffset.UtcNow.AddMilliseconds(-1);
        var lease = await ClaimAsync(services, updateId, markFirst: 4);

        // The claim's mark covers its first four deliveries, from the claim's time in whole milliseconds.
        Assert.Equal(lease.Deliveries[3].Id, lease.MarkedThrough);
        Assert.InRange(lease.MarkedAt, before, DateTimeOffset.UtcNow);
        Assert.Equal(0, lease.MarkedAt.UtcTicks % TimeSpan.TicksPerMillisecond);
        var mark = Assert.Single(await MarksAsync(services));
        Assert.Equal((lease.Token, lease.Deliveries[3].Id, lease.MarkedAt, updateId, 1), (mark.LeaseToken, mark.ThroughId, mark.Since, mark.UpdateId, mark.Batch));

        // The first four requests leave with the claim's time and write nothing (a write would bring back the row deleted here)...
        await WithDbAsync(services, db => db.InFlightMarks.ExecuteDeleteAsync());
        using var marks = new InFlightMarks(services.GetRequiredService<IServiceScopeFactory>(), lease,
            lease.Deliveries.Chunk(1).ToList<IReadOnlyList<LeasedDelivery>>(), window: 2, TimeProvider.System);
        foreach (var index in new[] { 1, 0, 3, 2 })
        {
            Assert.Equal(lease.MarkedAt, Assert.Single(await marks.MarkAsync(index, CancellationToken.None)).InFlightAt);
        }
        Assert.Empty(await MarksAsync(services));
        // ...and the fifth is marked as before, with the sixth.
        await marks.MarkAsync(4, CancellationToken.None);
        Assert.Equal(lease.Deliveries[5].Id, Assert.Single(await MarksAsync(services)).ThroughId);
    }

    public static async Task A_claim_that_takes_over_doubt_keeps_the_dead_senders_time_and_its_own_reach(IServiceProvider services)
    {
        var updateId = await QueuedSmsAsync(services, 6);
        var dead = await ClaimAsync(services, updateId, markFirst: 2);
        // The sender died with its first two requests marked; its claim lapsed.
        await WithDbAsync(services, db => db.Deliveries.Where(d => d.LeaseToken == dead.Token)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntil, DateTimeOffset.UtcNow.AddSeconds(-1))));
        await WithDbAsync(services, db => db.InFlightMarks.ExecuteUpdateAsync(s => s.SetProperty(m => m.Since, dead.MarkedAt.AddSeconds(-30))));

        var next = await ClaimAsync(services, updateId, markFirst: 4);

        Assert.Equal(dead.Deliveries.Select(d => d.Id), next.Deliveries.Select(d => d.Id));
        Assert.Equal([true, true, false, false, false, false], next.Deliveries.Select(d => d.InFlightAt is not null));
        Assert.All(next.Deliveries.Take(2), d => Assert.Equal(dead.MarkedAt.AddSeconds(-30), d.InFlightAt));
        // One mark for the new lease: as far as its own claim reaches, from the dead sender's earlier time.
        var mark = Assert.Single(await MarksAsync(services));
        Assert.Equal((next.Token, next.Deliveries[3].Id, dead.MarkedAt.AddSeconds(-30)), (mark.LeaseToken, mark.ThroughId, mark.Since));
    }

    /// <summary>
    /// A group of answers in which one request went unanswered (a time-out): the answered ones are recorded and leave the
    /// claim; the unanswered one is a transient failure that keeps the lease's token (not its time) and so the mark, so that its
    /// retry's claim finds it in doubt (and asks the provider) instead of sending it again blind.
    /// </summary>
    public static async Task An_unanswered_request_keeps_its_leases_token_and_mark_and_its_retry_finds_it_in_doubt(IServiceProvider services)
    {
        var updateId = await QueuedSmsAsync(services, 2);
        var lease = await ClaimAsync(services, updateId, markFirst: 2);
        await using (var scope = services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<DeliveryLeases>().CompleteManyAsync(lease,
            [
                (lease.Deliveries[0], new SendResult(DeliveryStatus.Sent, "twilio", "SM0")),
                (lease.Deliveries[1], new SendResult(DeliveryStatus.Queued, "twilio", Error: "Twilio unreachable: no answer within 30 s", Transient: true) { Unanswered = true }),
            ], CancellationToken.None);
        }

        var rows = await WithDbAsync(services, db => db.Deliveries.AsNoTracking().Where(d => d.UpdateId == updateId).ToDictionaryAsync(d => d.Id));
        var answered = rows[lease.Deliveries[0].Id];
        var unanswered = rows[lease.Deliveries[1].Id];
        Assert.Equal((DeliveryStatus.Sent, (Guid?)null), (answered.Status, answered.LeaseToken));
        Assert.Equal((DeliveryStatus.Queued, (Guid?)lease.Token), (unanswered.Status, unanswered.LeaseToken));
        Assert.NotNull(unanswered.NextAttemptAt);
        Assert.Null(unanswered.LeaseUntil);
        Assert.Equal(lease.Token, Assert.Single(await MarksAsync(services)).LeaseToken);

        // The retry falls due: its claim takes the text over as in doubt, from the mark's time.
        await WithDbAsync(services, db => db.Deliveries.Where(d => d.Id == unanswered.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.NextAttemptAt, DateTimeOffset.UtcNow.AddSeconds(-1))));
        var retry = await ClaimAsync(services, updateId, markFirst: 2);
        Assert.Equal(lease.MarkedAt, Assert.Single(retry.Deliveries).InFlightAt);
    }

    /// <summary>
    /// A send command that faulted while its claim had lapsed with requests marked in flight: the back-off keeps the lapsed
    /// claim's token (not its time), so the claim after it still finds those requests in doubt.
    /// </summary>
    public static async Task A_faulted_command_keeps_a_lapsed_claims_doubt_for_the_next_claim(IServiceProvider services)
    {
        var updateId = await QueuedSmsAsync(services, 2);
        var dead = await ClaimAsync(services, updateId, markFirst: 2);
        await WithDbAsync(services, db => db.Deliveries.Where(d => d.LeaseToken == dead.Token)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntil, DateTimeOffset.UtcNow.AddSeconds(-1))));

        await using (var scope = services.CreateAsyncScope())
        {
            Assert.Equal(2, await scope.ServiceProvider.GetRequiredService<FaultedCommands>().FaultedAsync(Channel.Sms, updateId, 1,
                new Core.Messaging.BusFault("send-sms-batch", "urn:message:CommsHub.Contracts:SendSmsBatch", Guid.NewGuid(), "System.InvalidOperationException", "boom",
                    DateTimeOffset.UtcNow), CancellationToken.None));
        }

        var rows = await WithDbAsync(services, db => db.Deliveries.AsNoTracking().Where(d => d.UpdateId == updateId).ToListAsync());
        Assert.All(rows, d => Assert.Equal((DeliveryStatus.Queued, (Guid?)dead.Token, (DateTimeOffset?)null), (d.Status, d.LeaseToken, d.LeaseUntil)));
        Assert.All(rows, d => Assert.NotNull(d.NextAttemptAt));
        Assert.Equal(dead.Token, Assert.Single(await MarksAsync(services)).LeaseToken);

        await WithDbAsync(services, db => db.Deliveries.Where(d => d.UpdateId == updateId)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.NextAttemptAt, DateTimeOffset.UtcNow.AddSeconds(-1))));
        var next = await ClaimAsync(services, updateId, markFirst: 2);
        Assert.All(next.Deliveries, d => Assert.Equal(dead.MarkedAt, d.InFlightAt));
    }

    private static async Task<Guid> QueuedSmsAsync(IServiceProvider services, int count)
    {
        var updateId = Guid.NewGuid();
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IDeliveryWriter>().InsertQueuedAsync(updateId, Guid.NewGuid(), DeliveryKind.IncidentUpdate,
            Channel.Sms, 1, [.. Enumerable.Range(0, count).Select(i => new PlannedRecipient(Guid.NewGuid(), $"+1202555018{i}"))],
            DateTimeOffset.UtcNow, CancellationToken.None);
        return updateId;
    }

    private static async Task<DeliveryLease> ClaimAsync(IServiceProvider services, Guid updateId, int markFirst)
    {
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DeliveryLeases>().ClaimAsync(updateId, Channel.Sms, 1, CancellationToken.None, markFirst);
    }

    private static Task<List<InFlightMark>> MarksAsync(IServiceProvider services) =>
        WithDbAsync(services, db => db.InFlightMarks.AsNoTracking().ToListAsync());

    private static async Task<T> WithDbAsync<T>(IServiceProvider services, Func<CommsHubDbContext, Task<T>> action)
    {
        await using var scope = services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<CommsHubDbContext>());
    }
}
