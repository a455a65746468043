using CommsHub.Contracts;
using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Messaging;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Deliveries;

public sealed class RedriveOptions
{
    /// <summary>A queued delivery without a retry time that nobody has touched for this long lost its command: send it again.</summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A batch whose send command ended in an error queue this many times is given up: its queued
    /// deliveries fail. Until then each fault puts the batch's next attempt <see cref="CommandFaultBackoff"/>
    /// ahead, doubled each time.
    /// </summary>
    public int MaxCommandFaults { get; set; } = 4;

    /// <summary>
    /// A notifying update still unplanned this long after it was published lost its event (a process died
    /// with it, or no worker had yet bound its queue on a new virtual host): it is published again. So is the
    /// send request of a campaign still sending that has planned nothing for this long.
    /// </summary>
    public TimeSpan PlanAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait after a batch's first faulted send command (1 min, then 2, 4: about 7 minutes of trying with the default 4 faults).</summary>
    public TimeSpan CommandFaultBackoff { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// The long back-off lives on the delivery (<c>next_attempt_at</c>), not in the broker: this
/// RabbitMQ has no delayed-message plug-in. The recurring <c>deliveries-retry</c> Hangfire job
/// calls this every 2 seconds: it finds batches with deliveries due again (or stranded: queued,
/// untouched, their command lost to an error queue) and publishes their send command again; the
/// sender's claim decides what is really sent. Nothing is re-sent forever: a command that faults
/// is counted by <see cref="FaultedCommands"/>, and a delivery claimed as often as its channel's
/// schedule allows without an outcome ever recorded (a sender that fails mid-batch each time) is
/// given up here.
/// </summary>
public sealed class DeliveryRedrive(IServiceScopeFactory scopes, IBus bus, BusTransport transport, IOptions<RedriveOptions> options, IOptions<LeaseOptions> leases,
    TimeProvider time, ILogger<DeliveryRedrive> logger)
{
    private readonly Dictionary<(Guid, Channel, int), (DateTimeOffset At, DateTimeOffset? Due)> _recent = [];
    private readonly Dictionary<Guid, DateTimeOffset> _replanned = [];
    private int _running;

    public async Task<int> RedriveOnceAsync(CancellationToken cancellationToken)
    {
        // Overlapping runs (a slow database) would only re-send the same commands.
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            return 0;
        }
        try
        {
            return await RedriveAsync(cancellationToken);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private async Task<int> RedriveAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var stuckBefore = now - options.Value.StuckAfter;
        // The in-memory bus is one process's: a command sent before this process started was lost with the
        // last one, and so was a lease it held. Such deliveries are stranded now, not after StuckAfter.
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        if (transport.InMemory)
        {
            stuckBefore = stuckBefore > transport.StartedAt ? stuckBefore : transport.StartedAt;
            // A lease taken after the start ends at StartedAt + Duration or later: one ending before was the last
            // process's, whose sender is gone. Released, so the command sent below can claim it.
            var heldBefore = transport.StartedAt + leases.Value.Duration;
            if (now < heldBefore)
            {
                await db.Deliveries
                    .Where(d => d.Status == DeliveryStatus.Queued && d.LeaseToken != null && d.LeaseUntil >= now && d.LeaseUntil < heldBefore
                                && db.OpenBatches.Any(b => b.UpdateId == d.UpdateId && b.Channel == d.Channel && b.Batch == d.Batch))
                    .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseToken, (Guid?)null).SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), cancellationToken);
            }
        }
        await ReplanAsync(scope.ServiceProvider, now, cancellationToken);
        var bound = Candidates(now, stuckBefore);
        var open = await OpenBatchesToCheckAsync(db, now, bound, cancellationToken);
        await AbandonClaimedWithoutOutcomeAsync(scope.ServiceProvider, db, now, open, cancellationToken);
        // Due again; or its sender died holding it (an expired lease: at once, not after StuckAfter); or never touched, its command lost.
        System.Linq.Expressions.Expression<Func<Delivery, bool>> stranded = d => (d.LeaseUntil == null || d.LeaseUntil < now)
            && (d.NextAttemptAt <= now || d.LeaseUntil != null || (d.NextAttemptAt == null && d.CreatedAt < stuckBefore));
        var due = await Retries(db, now).Where(stranded)
            .GroupBy(d => new { d.UpdateId, d.Channel, d.Batch })
            .Select(g => new { g.Key.UpdateId, g.Key.Channel, g.Key.Batch, Due = g.Max(d => d.NextAttemptAt) })
            .OrderBy(d => d.UpdateId).ThenBy(d => d.Batch)
            .Take(500)
            .ToListAsync(cancellationToken);
        if (open is not null)
        {
            var lost = await InOpenBatches(db, open, stranded)
                .Select(b => new { b.UpdateId, b.Channel, b.Batch })
                .ToListAsync(cancellationToken);
            due.AddRange(lost.Where(l => !due.Any(d => d.UpdateId == l.UpdateId && d.Channel == l.Channel && d.Batch == l.Batch))
                .Select(l => new { l.UpdateId, l.Channel, l.Batch, Due = (DateTimeOffset?)null }));
            // Looked at: not again for half a minute (a live sender's lease, a retry's time), when the command sent below has had its
            // chance. A sender that dies holding a batch is so found within half a minute of its lease running out.
            var recheck = now + Recheck;
            await open.ExecuteUpdateAsync(s => s.SetProperty(b => b.CheckAfter, recheck), cancellationToken);
        }

        // One command per batch per half minute: a command in flight is not sent again each tick. A
        // batch whose next attempt time moved since (a failure was recorded) is a new round, sent at once.
        foreach (var key in _recent.Where(r => now - r.Value.At > TimeSpan.FromSeconds(30)).Select(r => r.Key).ToList())
        {
            _recent.Remove(key);
        }
        var sent = 0;
        foreach (var batch in due)
        {
            var key = (batch.UpdateId, batch.Channel, batch.Batch);
            if (_recent.TryGetValue(key, out var last) && last.Due == batch.Due)
            {
                continue;
            }
            _recent[key] = (now, batch.Due);
            if (DeliveryCommands.For(batch.Channel, batch.UpdateId, batch.Batch) is { } command)
            {
                await bus.Publish(command, command.GetType(), cancellationToken);
                sent++;
            }
        }
        if (sent > 0)
        {
            logger.LogInformation("Re-sent {Count} batch command(s) for deliveries due again", sent);
        }
        return sent;
    }

    /// <summary>
    /// Publishes again the planning message of whatever every <see cref="IUnplannedWork"/> source reports left unplanned
    /// for <see cref="RedriveOptions.PlanAfter"/> (updates, campaigns), at most once a minute each, so a plan still
    /// running is not started twice each tick. Planning again is harmless: existing deliveries are kept.
    /// </summary>
    private async Task ReplanAsync(IServiceProvider services, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var before = now - options.Value.PlanAfter;
        foreach (var key in _replanned.Where(r => now - r.Value > TimeSpan.FromMinutes(1)).Select(r => r.Key).ToList())
        {
            _replanned.Remove(key);
        }
        foreach (var source in services.GetServices<IUnplannedWork>())
        {
            foreach (var work in (await source.FindAsync(before, cancellationToken)).Where(w => !_replanned.ContainsKey(w.Id)))
            {
                _replanned[work.Id] = now;
                logger.LogWarning("{What} {Id} has waited since {Since:O} and is still unplanned: publishing it again", work.What, work.Id, work.Since);
                await bus.Publish(work.Message, work.Message.GetType(), cancellationToken);
            }
        }
    }

    /// <summary>
    /// A delivery the sweeps may find was created before this: one due again has <c>next_attempt_at</c> in the past (the
    /// retries' index); one with none that a dead sender held was created before its claim, so at least a lease ago, and
    /// one never claimed before <paramref name="stuckBefore"/>. Those are looked for in the open batches planned before
    /// it (<see cref="OpenBatch"/>), not among every delivery: no index of the deliveries says which are queued.
    /// </summary>
    private DateTimeOffset Candidates(DateTimeOffset now, DateTimeOffset stuckBefore)
    {
        var leaseAgo = now - leases.Value.Duration;
        return leaseAgo > stuckBefore ? leaseAgo : stuckBefore;
    }

    /// <summary>Queued deliveries whose retry time has come, through the retries' index.</summary>
    private static IQueryable<Delivery> Retries(CommsHubDbContext db, DateTimeOffset now) =>
        db.Deliveries.Where(d => d.NextAttemptAt != null && d.NextAttemptAt <= now && d.Status == DeliveryStatus.Queued);

    /// <summary>
    /// The given open batches that hold a queued delivery without a retry time matching <paramref name="which"/>, each
    /// looked into through the batches' index. A scalar subquery (<c>(SELECT 1 … LIMIT 1) IS NOT NULL</c>), not a join or an
    /// <c>EXISTS</c>: PostgreSQL runs it once per open batch whatever its statistics say, where a join it may plan as one
    /// scan of every delivery when the statistics do not yet know the update being sent (1.3 s a look at 400,000 rows;
    /// docs/benchmarks.md, "History does not slow the present").
    /// </summary>
    internal static IQueryable<OpenBatch> InOpenBatches(CommsHubDbContext db, IQueryable<OpenBatch> open,
        System.Linq.Expressions.Expression<Func<Delivery, bool>> which)
    {
        var matching = db.Deliveries.Where(d => d.Status == DeliveryStatus.Queued && d.NextAttemptAt == null).Where(which);
        return open.Where(b => matching.Where(d => d.UpdateId == b.UpdateId && d.Channel == b.Channel && d.Batch == b.Batch)
            .Select(d => (int?)1).FirstOrDefault() != null);
    }

    /// <summary>How long an open batch the sweep looked into is left alone (a live sender's lease, a retry not yet due).</summary>
    internal static readonly TimeSpan Recheck = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The open batches this sweep looks into: planned before <paramref name="bound"/>, not looked at in the last
    /// <see cref="Recheck"/> (on the in-memory bus, a look by the last process does not count: its senders are gone),
    /// at most 500 (the longest unchecked first), or null when there are none. Those whose deliveries are all settled
    /// are closed here first.
    /// </summary>
    private async Task<IQueryable<OpenBatch>?> OpenBatchesToCheckAsync(CommsHubDbContext db, DateTimeOffset now, DateTimeOffset bound,
        CancellationToken cancellationToken)
    {
        DateTimeOffset? checkedBefore = transport.InMemory ? transport.StartedAt + Recheck : null;
        await BatchBook.CloseSettledAsync(db, bound, now, checkedBefore, cancellationToken);
        var candidates = BatchBook.Due(db.OpenBatches, bound, now, checkedBefore);
        // The 500th in the order they are taken in bounds the set: ties at the edge join it (and wait their turn like the rest).
        var last = await candidates.Select(b => b.CheckAfter ?? b.CreatedAt).OrderBy(t => t).Skip(499)
            .Select(t => (DateTimeOffset?)t).FirstOrDefaultAsync(cancellationToken);
        var taken = last is { } edge ? candidates.Where(b => (b.CheckAfter ?? b.CreatedAt) <= edge) : candidates;
        return await taken.AnyAsync(cancellationToken) ? taken : null;
    }

    /// <summary>
    /// A queued delivery whose lease ran out (claimed, never completed) after as many claims as its
    /// channel's schedule allows will not be completed by another one: it fails instead of being re-sent.
    /// </summary>
    private async Task AbandonClaimedWithoutOutcomeAsync(IServiceProvider services, CommsHubDbContext db, DateTimeOffset now, IQueryable<OpenBatch>? open,
        CancellationToken cancellationToken)
    {
        int webhookMax = RetryPolicy.MaxAttempts(Channel.Webhook), otherMax = RetryPolicy.MaxAttempts(Channel.Email);
        System.Linq.Expressions.Expression<Func<Delivery, bool>> exhausted = d => d.LeaseUntil != null && d.LeaseUntil < now
            && d.Attempts >= (d.Channel == Channel.Webhook ? webhookMax : otherMax);
        var batches = await Retries(db, now).Where(exhausted)
            .Select(d => new { d.UpdateId, d.Channel, d.Batch })
            .Distinct()
            // In the batch index's order: which 100 a crowded sweep takes first is then the same every run, not the planner's whim.
            .OrderBy(b => b.UpdateId).ThenBy(b => b.Channel).ThenBy(b => b.Batch)
            .Take(100)
            .ToListAsync(cancellationToken);
        if (open is not null)
        {
            var more = await InOpenBatches(db, open, exhausted)
                .Select(b => new { b.UpdateId, b.Channel, b.Batch })
                .ToListAsync(cancellationToken);
            batches.AddRange(more.Where(m => !batches.Contains(m)));
        }
        foreach (var b in batches)
        {
            var max = RetryPolicy.MaxAttempts(b.Channel);
            var error = $"Gave up after {max} attempts: the sender took this delivery {max} times and never recorded an outcome "
                        + "(it failed or stopped mid-batch each time; see the bus.message_faulted alerts and the worker's log).";
            var given = await Abandonment.GiveUpAsync(db, b.UpdateId, b.Channel, b.Batch,
                d => d.LeaseUntil != null && d.LeaseUntil < now && d.Attempts >= max, "no_outcome", error, countAttempt: false, now, cancellationToken);
            if (given > 0)
            {
                logger.LogError("Gave up {Count} {Channel} deliveries of update {UpdateId} (batch {Batch}): claimed {Max} times without an outcome",
                    given, b.Channel.ToWire(), b.UpdateId, b.Batch, max);
                await services.GetRequiredService<Messaging.PoisonAlerts>().NotifyAsync($"abandoned:{b.Channel.ToWire()}",
                    $"{given} {b.Channel.ToWire()} deliveries were given up", $"{given} {b.Channel.ToWire()} deliveries of update {b.UpdateId} (batch {b.Batch}) failed. {error}",
                    cancellationToken);
            }
        }
    }
}

/// <summary>
/// A send command that ended in an error queue (a <c>Fault</c>): its batch was not sent. Its queued
/// deliveries get their next attempt after a back-off and the redrive sends the command again; after
/// <see cref="RedriveOptions.MaxCommandFaults"/> faults they fail, with the fault as their last error.
/// Each fault is an attempt (provider <c>bus</c>): a delivery's attempts explain its status.
/// </summary>
public sealed class FaultedCommands(CommsHubDbContext db, IOptions<RedriveOptions> options, TimeProvider time, ILogger<FaultedCommands> logger)
{
    public async Task<int> FaultedAsync(Channel channel, Guid updateId, int batch, Messaging.BusFault fault, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // Rows a live sender holds are its business; rows already pushed ahead were counted by an earlier fault (a duplicate command's).
        System.Linq.Expressions.Expression<Func<Delivery, bool>> free = d => (d.LeaseUntil == null || d.LeaseUntil < now) && (d.NextAttemptAt == null || d.NextAttemptAt <= now);
        var first = await Abandonment.Batch(db, updateId, channel, batch)
            .Where(free)
            .OrderBy(d => d.Id).Select(d => (Guid?)d.Id).FirstOrDefaultAsync(cancellationToken);
        if (first is not { } firstId)
        {
            return 0;
        }
        var faults = 1 + await db.DeliveryAttempts.CountAsync(a => a.UpdateId == updateId && a.Channel == channel && a.Batch == batch
            && a.Provider == Abandonment.BusProvider && a.DeliveryIds.Contains(firstId), cancellationToken);
        var max = Math.Max(1, options.Value.MaxCommandFaults);
        var cause = $"{fault.ShortType} failed in {fault.Queue} and is in {fault.ErrorQueue}: {fault.ExceptionType}: {fault.ExceptionMessage}";
        if (faults >= max)
        {
            var given = await Abandonment.GiveUpAsync(db, updateId, channel, batch, free,
                "command_faulted", Abandonment.Clip($"Gave up after {faults} failed send commands: {cause}"), countAttempt: true, now, cancellationToken);
            logger.LogError("Gave up {Count} {Channel} deliveries of update {UpdateId} (batch {Batch}) after {Faults} failed send commands",
                given, channel.ToWire(), updateId, batch, faults);
            return given;
        }
        var next = now + (options.Value.CommandFaultBackoff * Math.Pow(2, faults - 1));
        var error = Abandonment.Clip($"Send command failed ({faults} of {max}), next attempt at {next:O}: {cause}");
        return await Abandonment.RecordAsync(db, updateId, channel, batch, free,
            DeliveryStatus.Queued, next, "command_faulted", error, countAttempt: true, now, cancellationToken);
    }
}

/// <summary>Outcomes the bus, not a provider, decided: the status, attempt rows and audit entry of a batch commit together.</summary>
internal static class Abandonment
{
    public const string BusProvider = "bus";

    public static IQueryable<Delivery> Batch(CommsHubDbContext db, Guid updateId, Channel channel, int batch) =>
        db.Deliveries.Where(d => d.UpdateId == updateId && d.Channel == channel && d.Batch == batch && d.Status == DeliveryStatus.Queued);

    public static Task<int> GiveUpAsync(CommsHubDbContext db, Guid updateId, Channel channel, int batch, System.Linq.Expressions.Expression<Func<Delivery, bool>> which,
        string reason, string error, bool countAttempt, DateTimeOffset now, CancellationToken cancellationToken) =>
        RecordAsync(db, updateId, channel, batch, which, DeliveryStatus.Failed, null, reason, error, countAttempt, now, cancellationToken);

    public static async Task<int> RecordAsync(CommsHubDbContext db, Guid updateId, Channel channel, int batch, System.Linq.Expressions.Expression<Func<Delivery, bool>> which,
        DeliveryStatus status, DateTimeOffset? next, string reason, string error, bool countAttempt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var tx = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        var rows = Batch(db, updateId, channel, batch).Where(which);
        var held = await rows.Select(d => new { d.Id, d.Attempts }).ToListAsync(cancellationToken);
        if (held.Count == 0)
        {
            return 0;
        }
        var ids = held.Select(d => d.Id).ToList();
        var increment = countAttempt ? 1 : 0;
        // A delivery still to be tried keeps the token of the claim it lapsed from (not its time): should that claim's in-flight
        // mark cover it, the next claim finds it in doubt and asks the provider before sending it again.
        var keepToken = status == DeliveryStatus.Queued;
        var updated = await db.Deliveries.Where(d => ids.Contains(d.Id) && d.Status == DeliveryStatus.Queued).ExecuteUpdateAsync(s =>
        {
            s.SetProperty(d => d.Status, status)
                .SetProperty(d => d.Attempts, d => d.Attempts + increment)
                .SetProperty(d => d.LastError, error)
                .SetProperty(d => d.NextAttemptAt, next)
                .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null);
            if (!keepToken)
            {
                s.SetProperty(d => d.LeaseToken, (Guid?)null);
            }
        }, cancellationToken);
        if (updated == 0)
        {
            // Settled by someone else since they were read (a sender's answer, a second give-up of the same batch):
            // nothing happened here, so no attempt and no audit entry say it did. The transaction rolls back unused.
            return 0;
        }
        // A decision about the batch: one attempt row for its deliveries (per attempt number, should theirs differ).
        await AttemptWriter.WriteAsync(db, [.. AttemptWriter.ForRequest(updateId, channel, batch, held.Select(d => (d.Id, d.Attempts + increment)),
            new(now, BusProvider, status, Error: error))], cancellationToken);
        await BatchBook.CloseIfSettledAsync(db, updateId, channel, batch, cancellationToken);
        var data = new JsonObject
        {
            ["channel"] = channel.ToWire(),
            ["status"] = status.ToWire(),
            ["reason"] = reason,
            ["updateId"] = updateId.ToString(),
            ["batch"] = batch,
            ["error"] = error,
            ["retryAt"] = next?.ToString("O"),
            ["deliveries"] = new JsonArray([.. held.Select(d => (JsonNode)d.Id.ToString())]),
        };
        AuditLog.Append(db, now, AuditLog.System, status == DeliveryStatus.Queued ? "delivery.retry_scheduled" : Messaging.PoisonAlerts.DeliveriesAbandoned,
            held.Count == 1 ? held[0].Id.ToString() : null, data);
        await db.SaveChangesAsync(cancellationToken);
        if (tx is not null)
        {
            await tx.CommitAsync(cancellationToken);
        }
        return updated;
    }

    public static string Clip(string text) => text.Length > 2000 ? text[..2000] : text;
}
