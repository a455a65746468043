using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Deliveries;

/// <summary>
/// Requests are marked in flight a few at a time, in whatever order the parallel senders reach them, in one row
/// per lease; a claim that takes over a dead sender's lease finds in doubt exactly what that row covers.
/// </summary>
public sealed class InFlightMarksTests : SqliteAppTest
{
    protected override Dictionary<string, string?> Settings() => new([SendConsumerCalls.NoScheduledRedrive]);

    // Planned as the planners write a batch: its deliveries and its open batch.
    private async Task<Guid> QueuedSmsAsync(int count)
    {
        var updateId = Guid.NewGuid();
        await using var scope = App.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IDeliveryWriter>().InsertQueuedAsync(updateId, Guid.NewGuid(), DeliveryKind.IncidentUpdate,
            Channel.Sms, 1, [.. Enumerable.Range(0, count).Select(i => new PlannedRecipient(Guid.NewGuid(), $"+1202555017{i}"))],
            DateTimeOffset.UtcNow, CancellationToken.None);
        return updateId;
    }

    private Task<Core.Telemetry.TelemetrySample> SampleAsync() =>
        ActivatorUtilities.CreateInstance<Core.Telemetry.TelemetrySampler>(App.Services).SampleAsync(CancellationToken.None);

    [Fact]
    public async Task Queued_deliveries_are_counted_through_their_open_batch_which_closes_with_the_last_answer_and_its_mark()
    {
        var updateId = await QueuedSmsAsync(3);
        Assert.Equal(3, (await SampleAsync()).DeliveriesQueued);
        var lease = await ClaimAsync(updateId);

        await using (var scope = App.Services.CreateAsyncScope())
        {
            var leases = scope.ServiceProvider.GetRequiredService<DeliveryLeases>();
            await leases.MarkInFlightAsync(lease, lease.Deliveries[^1].Id, DateTimeOffset.UtcNow);
            await leases.CompleteManyAsync(lease, [(lease.Deliveries[0], new SendResult(DeliveryStatus.Sent, "twilio", "SM0"))], CancellationToken.None);
            Assert.Equal(2, (await SampleAsync()).DeliveriesQueued);
            Assert.Equal(1, await WithDbAsync(db => db.OpenBatches.CountAsync(b => b.UpdateId == updateId)));
            // Two requests are still unrecorded: the mark that puts them in doubt stays.
            Assert.True(await WithDbAsync(db => db.InFlightMarks.AnyAsync(m => m.LeaseToken == lease.Token)));
            await leases.CompleteManyAsync(lease, [.. lease.Deliveries.Skip(1).Select((d, i) => (d, new SendResult(DeliveryStatus.Sent, "twilio", $"SM{i + 1}")))],
                CancellationToken.None);
        }

        Assert.Equal(0, (await SampleAsync()).DeliveriesQueued);
        Assert.Equal(0, await WithDbAsync(db => db.OpenBatches.CountAsync(b => b.UpdateId == updateId)));
        // The last record deleted the mark in its own transaction: the sender needs no write for it.
        Assert.False(await WithDbAsync(db => db.InFlightMarks.AnyAsync(m => m.LeaseToken == lease.Token)));
        // Each text's SID names its delivery for the status callbacks.
        Assert.Equal(lease.Deliveries.Select(d => d.Id).Order(), await WithDbAsync(db => db.ProviderMessages.Where(m => m.ProviderMessageId.StartsWith("SM"))
            .Select(m => m.DeliveryId).OrderBy(id => id).ToListAsync()));
    }

    private async Task<DeliveryLease> ClaimAsync(Guid updateId)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DeliveryLeases>().ClaimAsync(updateId, Channel.Sms, 1, CancellationToken.None);
    }

    private InFlightMarks MarksOf(DeliveryLease lease, int window) =>
        new(App.Services.GetRequiredService<IServiceScopeFactory>(), lease, lease.Deliveries.Chunk(1).ToList<IReadOnlyList<LeasedDelivery>>(), window, TimeProvider.System);

    [Fact]
    public async Task A_record_that_finds_nothing_left_to_record_still_deletes_the_mark_that_covers_nothing()
    {
        var updateId = await QueuedSmsAsync(2);
        var lease = await ClaimAsync(updateId);
        await using var scope = App.Services.CreateAsyncScope();
        var leases = scope.ServiceProvider.GetRequiredService<DeliveryLeases>();
        await leases.MarkInFlightAsync(lease, lease.Deliveries[^1].Id, DateTimeOffset.UtcNow);
        // Both settled before their answers were recorded (a provider's delivered callback outran the sender).
        await WithDbAsync(db => db.Deliveries.Where(d => d.UpdateId == updateId)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeliveryStatus.Delivered)));

        Assert.Equal(0, await leases.CompleteManyAsync(lease, [.. lease.Deliveries.Select(d => (d, new SendResult(DeliveryStatus.Sent, "twilio", $"SM-{d.Id}")))],
            CancellationToken.None));
        Assert.False(await WithDbAsync(db => db.InFlightMarks.AnyAsync(m => m.LeaseToken == lease.Token)));
    }

    [Fact]
    public async Task A_request_reached_after_a_later_one_is_still_marked_before_it_leaves()
    {
        var lease = await ClaimAsync(await QueuedSmsAsync(6));
        using var marks = MarksOf(lease, window: 2);

        // Request 3 takes the gate first (the sender of request 2 was still pacing), then request 2 comes.
        var third = await marks.MarkAsync(3, CancellationToken.None);
        var second = await marks.MarkAsync(2, CancellationToken.None);

        Assert.NotNull(Assert.Single(third).InFlightAt);
        Assert.NotEqual(default, Assert.Single(second).InFlightAt!.Value);
        // One row for the lease, covering its deliveries up to the fourth: the second is marked with it.
        var mark = Assert.Single(await WithDbAsync(db => db.InFlightMarks.AsNoTracking().ToListAsync()));
        Assert.Equal(lease.Token, mark.LeaseToken);
        Assert.Equal(lease.Deliveries[3].Id, mark.ThroughId);
        // No recipient's row was written to mark it.
        Assert.Equal(6, await WithDbAsync(db => db.Deliveries.CountAsync(d => d.LeaseToken == lease.Token && d.LeaseUntil == lease.Until)));
    }

    [Fact]
    public async Task A_claim_after_a_dead_sender_finds_in_doubt_only_what_its_mark_covers_and_keeps_the_doubt_for_the_next()
    {
        var updateId = await QueuedSmsAsync(6);
        var dead = await ClaimAsync(updateId);
        using (var marks = MarksOf(dead, window: 2))
        {
            await marks.MarkAsync(0, CancellationToken.None); // requests 0 and 1 marked; then the process died
        }
        await WithDbAsync(db => db.Deliveries.Where(d => d.LeaseToken == dead.Token)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntil, DateTimeOffset.UtcNow.AddSeconds(-1))));

        // Counted as in doubt until a sender takes them over (the commshub_deliveries_in_doubt gauge).
        Assert.Equal(6, (await SampleAsync()).DeliveriesInDoubt);

        var next = await ClaimAsync(updateId);

        Assert.Equal(dead.Deliveries.Select(d => d.Id), next.Deliveries.Select(d => d.Id));
        Assert.Equal([true, true, false, false, false, false], next.Deliveries.Select(d => d.InFlightAt is not null));
        // The doubt passed to the new lease before anything was sent: a second death would not lose it.
        var inherited = Assert.Single(await WithDbAsync(db => db.InFlightMarks.AsNoTracking().ToListAsync()));
        Assert.Equal(next.Token, inherited.LeaseToken);
        Assert.Equal(next.Deliveries[1].Id, inherited.ThroughId);

        // While the new sender holds its deliveries its mark stays; once none is held it goes.
        await using (var scope = App.Services.CreateAsyncScope())
        {
            var leases = scope.ServiceProvider.GetRequiredService<DeliveryLeases>();
            Assert.Equal(0, await leases.ForgetMarkAsync(next));
            await leases.DeferAsync(next, DateTimeOffset.UtcNow, CancellationToken.None);
            Assert.Equal(1, await leases.ForgetMarkAsync(next));
        }
        var third = await ClaimAsync(updateId);
        Assert.All(third.Deliveries, d => Assert.Null(d.InFlightAt));
    }

    [Fact]
    public async Task Answers_recorded_while_the_batch_still_sends_mark_the_next_requests_in_the_same_transaction()
    {
        var updateId = await QueuedSmsAsync(8);
        var lease = await ClaimAsync(updateId);
        using var marks = MarksOf(lease, window: 2);
        using var outcomes = new OutcomeBuffer(App.Services.GetRequiredService<OutcomeRecorder>(), lease, TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance) { Marks = marks, MarkAhead = 3 };
        var first = await marks.MarkAsync(0, CancellationToken.None); // requests 0 and 1, in a write of their own
        var second = await marks.MarkAsync(1, CancellationToken.None);
        await outcomes.AddAsync(first[0], new SendResult(DeliveryStatus.Sent, "twilio", "SM0"), CancellationToken.None);
        await outcomes.AddAsync(second[0], new SendResult(DeliveryStatus.Sent, "twilio", "SM1"), CancellationToken.None);

        // Recorded while sending goes on: the record's transaction moved the mark three requests past those started.
        await outcomes.FlushAsync(CancellationToken.None, sending: true);
        var mark = Assert.Single(await WithDbAsync(db => db.InFlightMarks.AsNoTracking().ToListAsync()));
        Assert.Equal(lease.Deliveries[4].Id, mark.ThroughId);
        Assert.Equal(2, await WithDbAsync(db => db.Deliveries.CountAsync(d => d.UpdateId == updateId && d.Status == DeliveryStatus.Sent)));

        // Requests 2 to 4 leave without a write of their own (a write would bring back the row deleted here)...
        await WithDbAsync(db => db.InFlightMarks.ExecuteDeleteAsync());
        foreach (var index in new[] { 2, 3, 4 })
        {
            Assert.NotNull(Assert.Single(await marks.MarkAsync(index, CancellationToken.None)).InFlightAt);
        }
        Assert.False(await WithDbAsync(db => db.InFlightMarks.AnyAsync()));
        // ...and the next one is marked as before.
        await marks.MarkAsync(5, CancellationToken.None);
        Assert.Equal(lease.Deliveries[6].Id, Assert.Single(await WithDbAsync(db => db.InFlightMarks.AsNoTracking().ToListAsync())).ThroughId);

        // The batch's last record (nothing leaves after it) marks nothing ahead, and deletes the mark.
        foreach (var delivery in lease.Deliveries.Skip(2))
        {
            await outcomes.AddAsync(delivery, new SendResult(DeliveryStatus.Sent, "twilio", $"SM-{delivery.Id}"), CancellationToken.None);
        }
        await outcomes.FlushAsync(CancellationToken.None);
        Assert.False(await WithDbAsync(db => db.InFlightMarks.AnyAsync()));
        Assert.Equal(8, await WithDbAsync(db => db.Deliveries.CountAsync(d => d.UpdateId == updateId && d.Status == DeliveryStatus.Sent)));
    }

    [Theory]
    [InlineData(int.MaxValue, 16, int.MaxValue)] // email: one request takes the whole batch, whatever the window
    [InlineData(1, 16, 16)]                      // SMS: a window of texts
    [InlineData(1, 532, 532)]                    // webhooks
    [InlineData(1, 0, 1)]                        // at least the first request
    public void A_claim_marks_what_its_first_requests_carry(int recipientsPerRequest, int window, int reach) =>
        Assert.Equal(reach, InFlightMarks.ClaimReach(recipientsPerRequest, window));

    [Fact]
    public Task A_claim_marks_its_first_requests_and_they_leave_without_a_write_of_their_own() =>
        Testing.ClaimMarkChecks.A_claim_marks_its_first_requests_and_they_leave_without_a_write_of_their_own(App.Services);

    [Fact]
    public Task A_claim_that_takes_over_doubt_keeps_the_dead_senders_time_and_its_own_reach() =>
        Testing.ClaimMarkChecks.A_claim_that_takes_over_doubt_keeps_the_dead_senders_time_and_its_own_reach(App.Services);

    [Fact]
    public async Task A_deferral_before_the_doubt_is_settled_keeps_what_is_in_doubt_leased()
    {
        var updateId = await QueuedSmsAsync(3);
        var dead = await ClaimAsync(updateId);
        await using (var scope = App.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<DeliveryLeases>().MarkInFlightAsync(dead, dead.Deliveries[0].Id, DateTimeOffset.UtcNow);
        }
        await WithDbAsync(db => db.Deliveries.Where(d => d.LeaseToken == dead.Token).ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntil, DateTimeOffset.UtcNow.AddSeconds(-1))));
        var next = await ClaimAsync(updateId);
        var inDoubt = next.Deliveries.Where(d => d.InFlightAt is not null).Select(d => d.Id).ToList();
        Assert.Equal([dead.Deliveries[0].Id], inDoubt);

        // The batch is held before anything is settled (its provider's circuit is open): the rest waits untried...
        await using (var scope = App.Services.CreateAsyncScope())
        {
            Assert.Equal(2, await scope.ServiceProvider.GetRequiredService<DeliveryLeases>().DeferAsync(next, DateTimeOffset.UtcNow.AddSeconds(30), CancellationToken.None, keep: inDoubt));
        }

        // ...and what is in doubt stays under the claim and its mark, so the claim after it still asks first.
        var kept = await WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == inDoubt[0]));
        Assert.Equal(next.Token, kept.LeaseToken);
        Assert.True(await WithDbAsync(db => db.InFlightMarks.AnyAsync(m => m.LeaseToken == next.Token)));
    }

    [Fact]
    public Task A_faulted_command_keeps_a_lapsed_claims_doubt_for_the_next_claim() =>
        Testing.ClaimMarkChecks.A_faulted_command_keeps_a_lapsed_claims_doubt_for_the_next_claim(App.Services);

    [Fact]
    public Task An_unanswered_request_keeps_its_leases_token_and_mark_and_its_retry_finds_it_in_doubt() =>
        Testing.ClaimMarkChecks.An_unanswered_request_keeps_its_leases_token_and_mark_and_its_retry_finds_it_in_doubt(App.Services);

    [Fact]
    public async Task A_lease_claimed_with_its_first_requests_marked_that_waited_long_is_renewed_before_the_first_leaves()
    {
        var updateId = await QueuedSmsAsync(2);
        DeliveryLease lease;
        await using (var scope = App.Services.CreateAsyncScope())
        {
            lease = await scope.ServiceProvider.GetRequiredService<DeliveryLeases>().ClaimAsync(updateId, Channel.Sms, 1, CancellationToken.None, markFirst: 2);
        }
        var old = lease with { Until = DateTimeOffset.UtcNow.AddSeconds(30) };
        await WithDbAsync(db => db.Deliveries.Where(d => d.LeaseToken == lease.Token).ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntil, old.Until)));
        using var marks = MarksOf(old, window: 1);

        await marks.MarkAsync(0, CancellationToken.None);

        var until = await WithDbAsync(db => db.Deliveries.Where(d => d.LeaseToken == lease.Token).Select(d => d.LeaseUntil!.Value).ToListAsync());
        Assert.All(until, u => Assert.True(u > DateTimeOffset.UtcNow.AddSeconds(90), $"the claim runs until {u:O}"));
    }

    [Fact]
    public async Task A_lease_that_waited_long_is_renewed_before_its_first_request_a_fresh_one_is_not()
    {
        var lease = await ClaimAsync(await QueuedSmsAsync(2));
        // As if claimed a minute and a half ago (of a two-minute claim): the answer would have only 30 s to be recorded.
        var old = lease with { Until = DateTimeOffset.UtcNow.AddSeconds(30) };
        await WithDbAsync(db => db.Deliveries.Where(d => d.LeaseToken == lease.Token).ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntil, old.Until)));
        using var marks = MarksOf(old, window: 1);

        await marks.MarkAsync(0, CancellationToken.None);

        var until = await WithDbAsync(db => db.Deliveries.Where(d => d.LeaseToken == lease.Token).Select(d => d.LeaseUntil!.Value).ToListAsync());
        Assert.All(until, u => Assert.True(u > DateTimeOffset.UtcNow.AddSeconds(90), $"the claim runs until {u:O}"));
    }

    [Fact]
    public async Task A_sender_whose_claim_ran_out_and_was_taken_over_sends_nothing_more_under_it()
    {
        var updateId = await QueuedSmsAsync(2);
        var lease = await ClaimAsync(updateId);
        var old = lease with { Until = DateTimeOffset.UtcNow.AddSeconds(30) };
        // Another sender took the batch once the claim ran out (a stall longer than the claim).
        var other = Guid.NewGuid();
        await WithDbAsync(db => db.Deliveries.Where(d => d.LeaseToken == lease.Token)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseToken, other).SetProperty(d => d.LeaseUntil, DateTimeOffset.UtcNow.AddMinutes(2))));
        using var marks = MarksOf(old, window: 1);

        await Assert.ThrowsAsync<LeaseLostException>(() => marks.MarkAsync(0, CancellationToken.None));

        // No mark under the lost claim (its request never left), and the other sender's claim is as it took it.
        Assert.False(await WithDbAsync(db => db.InFlightMarks.AnyAsync(m => m.LeaseToken == lease.Token)));
        Assert.Equal(2, await WithDbAsync(db => db.Deliveries.CountAsync(d => d.UpdateId == updateId && d.LeaseToken == other)));
    }
}
