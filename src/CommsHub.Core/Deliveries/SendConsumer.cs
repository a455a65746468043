using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Incidents;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// Sends one planned batch of any channel: claim → load the update → render → send → record, defer or
/// hand back, with one set of rules for every medium (its <typeparamref name="TAdapter"/> says only what
/// differs). A request once on the wire runs to its answer and is recorded whatever happens to the message;
/// what was never tried is handed back at once; a held answer (an open circuit, a Retry-After) defers
/// without counting an attempt; outcomes of one-request-per-recipient channels are recorded in groups
/// (<see cref="OutcomeBuffer"/>), so a crash repeats at most the last unrecorded group; a database that is away
/// when an answer comes is waited for, for as long as the claim lasts (<see cref="OutcomeRecorder"/>).
/// </summary>
public sealed class SendConsumer<TCommand, TAdapter>(
    TAdapter adapter,
    CommsHubDbContext db,
    DeliveryLeases leases,
    UpdateContentLoader contents,
    OutboundMessages messages,
    IPersonalContent personal,
    OutcomeRecorder recorder,
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILogger<SendConsumer<TCommand, TAdapter>> logger) : IConsumer<TCommand>
    where TCommand : class
    where TAdapter : ISendAdapter
{
    public async Task Consume(ConsumeContext<TCommand> context)
    {
        var ct = context.CancellationToken;
        var (updateId, batch) = DeliveryCommands.Read(context.Message);
        // The claim marks what the first requests carry in flight in its own write (an email batch: all of it).
        var lease = await leases.ClaimAsync(updateId, adapter.Channel, batch, ct, InFlightMarks.ClaimReach(adapter.RecipientsPerRequest, Window(wholeBatch: false)));
        if (lease.Deliveries.Count == 0)
        {
            return; // already sent, or held by another sender: a redelivered command sends nothing twice
        }

        using var outcomes = new OutcomeBuffer(recorder, lease, time, logger);
        var tried = new ConcurrentDictionary<Guid, bool>();
        // What a dead sender (or an unanswered request) left in doubt stays leased should the batch stop before it is
        // settled (a failed load or render, a shutdown): given back, it would lose its doubt and be sent again blind.
        foreach (var delivery in lease.Deliveries.Where(d => d.InFlightAt is not null))
        {
            tried[delivery.Id] = true;
        }
        var finished = false;
        // Every delivery of the lease answered and recorded: the last record also deleted the lease's in-flight mark.
        var recorded = false;
        // The lease has an in-flight mark from the claim (its first requests, or doubt it took over), or once a request is about to leave.
        var marked = lease.MarkedThrough is not null || lease.Deliveries.Any(d => d.InFlightAt is not null);
        try
        {
            // A batch is of one kind: an update's (the common case, and cached), a message's, or one rendered per recipient.
            var kind = lease.Deliveries[0].Kind;
            var content = kind is DeliveryKind.IncidentUpdate or DeliveryKind.Maintenance ? await contents.LoadAsync(updateId, ct) : null;
            var message = kind is DeliveryKind.Confirmation or DeliveryKind.OperatorNotice ? await messages.LoadAsync(updateId, ct) : null;
            var own = kind is DeliveryKind.Campaign ? await personal.LoadAsync(updateId, adapter.Channel, lease.Deliveries, ct) : null;
            var sendBatch = new SendBatch(updateId, batch, lease.Deliveries, content,
                new DeliveryHistory(db, updateId, content?.IncidentId ?? Guid.Empty, adapter.Channel), message, own);
            var prepared = (content, message, own) switch
            {
                (null, null, null) => PreparedBatch.Failed(adapter.Channel.ToWire(), "The update no longer exists."),
                (null, null, { Count: 0 }) => PreparedBatch.Failed(adapter.Channel.ToWire(), "cancelled"),
                _ => await adapter.PrepareAsync(sendBatch, ct),
            };
            ct.ThrowIfCancellationRequested();
            if (prepared.Send is not { } send)
            {
                await (prepared.Outcome is { } outcome
                    ? leases.CompleteAsync(lease, outcome, CancellationToken.None)
                    : leases.DeferAsync(lease, time.GetUtcNow() + prepared.Wait.GetValueOrDefault(), CancellationToken.None, keep: [.. tried.Keys]));
                recorded = prepared.Outcome is not null;
                finished = true;
                return;
            }

            // A dead sender's request may have reached the provider: ask it first, where it can answer.
            if (lease.Deliveries.Any(d => d.InFlightAt is not null))
            {
                lease = await SettleInDoubtAsync(lease, sendBatch, tried, ct);
                if (lease.Deliveries.Count == 0)
                {
                    finished = true;
                    return;
                }
            }

            marked = true;
            TimeSpan? heldFor;
            try
            {
                heldFor = await SendAllAsync(lease, send, outcomes, tried, ct);
            }
            catch (LeaseLostException ex)
            {
                // What was sent is recorded below where it is still ours; the rest is the other sender's to send.
                logger.LogWarning(ex, "{Channel} batch {Batch} of update {UpdateId}: the claim ran out while sending; the rest of the batch is left to the sender that took it",
                    adapter.Channel, batch, updateId);
                finished = true;
                return;
            }
            if (heldFor is { } wait)
            {
                // Everything sent is recorded first, so the deferral takes only what was held, untried (no attempt
                // counted). It comes back when its circuit may take calls again; one still open defers again.
                await outcomes.FlushAsync(CancellationToken.None);
                await leases.DeferAsync(lease, time.GetUtcNow() + wait, CancellationToken.None);
                logger.LogInformation("{Channel} batch {Batch} of update {UpdateId} partly deferred for {Wait}", adapter.Channel, batch, updateId, wait);
            }
            // What waits in the buffer is recorded below; should that fail, its deliveries stay held and so does the mark.
            recorded = heldFor is null;
            finished = true;
        }
        finally
        {
            // Whatever was sent is recorded, even when the batch stops half-way (a shutdown, a lost broker
            // connection); what was never tried is given back at once for the redelivered command. A request
            // whose answer could not be recorded stays leased: sending it again at once could repeat it.
            try
            {
                await outcomes.FlushAsync(CancellationToken.None);
            }
            finally
            {
                if (!finished)
                {
                    await ReleaseUntriedAsync(lease, tried);
                }
                if (marked && !recorded)
                {
                    await ForgetMarkAsync(lease);
                }
            }
        }
    }

    /// <returns>How long the held requests must wait, or null when none was held.</returns>
    private async Task<TimeSpan?> SendAllAsync(DeliveryLease lease, Func<IReadOnlyList<LeasedDelivery>, Task<SendResult>> send,
        OutcomeBuffer outcomes, ConcurrentDictionary<Guid, bool> tried, CancellationToken ct)
    {
        var wholeBatch = adapter.RecipientsPerRequest >= lease.Deliveries.Count;
        var requests = wholeBatch ? [lease.Deliveries] : lease.Deliveries.Chunk(adapter.RecipientsPerRequest).ToList<IReadOnlyList<LeasedDelivery>>();
        var window = Window(wholeBatch);
        using var marks = new InFlightMarks(scopes, lease, requests, window, time);
        // A group of answers recorded while the batch still sends marks what leaves before the next group.
        outcomes.Marks = marks;
        outcomes.MarkAhead = OutcomeBuffer.MaxPending + window;
        var heldTicks = long.MaxValue;
        var started = 0;
        var renewAt = time.GetUtcNow() + leases.Duration / 2;
        using var renewing = new SemaphoreSlim(1, 1);
        var sending = Parallel.ForEachAsync(Enumerable.Range(0, requests.Count), new ParallelOptions { MaxDegreeOfParallelism = adapter.Parallelism, CancellationToken = ct }, async (index, token) =>
        {
            if (!adapter.CircuitPerTarget && Interlocked.Read(ref heldTicks) != long.MaxValue)
            {
                return; // the provider is held: the rest of the batch goes back untried
            }
            await outcomes.FlushIfDueAsync(token);
            await adapter.PaceAsync(token);
            var recipients = await marks.MarkAsync(index, token);
            Interlocked.Increment(ref started);
            foreach (var delivery in recipients)
            {
                tried[delivery.Id] = true;
            }
            var result = await send(recipients);
            if (result.Unanswered && adapter is not IInDoubtLookup)
            {
                // Nobody to ask: a request in doubt is sent again like any failed one, so it need not keep its claim.
                result = result with { Unanswered = false };
            }
            if (result.Held)
            {
                // Not sent: held requests are untried, and given back as such should the batch stop.
                foreach (var delivery in recipients)
                {
                    tried.TryRemove(delivery.Id, out _);
                }
                KeepShortest(ref heldTicks, result.RetryAfter.GetValueOrDefault().Ticks);
                return;
            }
            // The subscription ends before the outcome is recorded: whoever sees the delivery failed sees it ended.
            if (adapter.SubscriptionAfter(result) is { } status)
            {
                await recorder.RecordInScopeAsync(services => EndSubscriptionsAsync(services, recipients, status, result));
            }
            if (wholeBatch)
            {
                await recorder.RecordAsync(scoped => scoped.CompleteAsync(lease, result, CancellationToken.None));
                if (!result.Accepted && !result.Transient)
                {
                    logger.LogWarning("{Channel} batch failed permanently: {Error}", adapter.Channel, result.Error);
                }
            }
            else
            {
                foreach (var delivery in recipients)
                {
                    await outcomes.AddAsync(delivery, result, CancellationToken.None);
                }
            }
            if (time.GetUtcNow() > renewAt && await renewing.WaitAsync(0, token))
            {
                try
                {
                    // Slow pacing must not let the lease lapse while this batch is still sending.
                    await using var scope = scopes.CreateAsyncScope();
                    // Nothing held with requests still to make: the claim ran out and the batch was taken over.
                    if (await scope.ServiceProvider.GetRequiredService<DeliveryLeases>().RenewAsync(lease, token) == 0
                        && Volatile.Read(ref started) < requests.Count)
                    {
                        throw new LeaseLostException(lease);
                    }
                    renewAt = time.GetUtcNow() + leases.Duration / 2;
                }
                finally
                {
                    renewing.Release();
                }
            }
        });
        try
        {
            await sending;
        }
        catch (Exception) when (sending.Exception?.InnerExceptions.OfType<LeaseLostException>().FirstOrDefault() is { } lost)
        {
            // Whichever request met it first, the others stopped with a cancellation: the claim's loss is what the batch ended on.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(lost);
        }
        return heldTicks == long.MaxValue ? null : TimeSpan.FromTicks(heldTicks);
    }

    /// <summary>
    /// How many requests one in-flight mark covers: one for an email batch (its one request); for one request per
    /// recipient, a few. Where the provider can be asked about a request in doubt (SMS), each request a mark covers costs
    /// a look-up after a crash: a mark covers 16 requests, or what leaves in a quarter second at the medium's pace if that
    /// is more (answers are recorded a quarter second apart, so a crash already leaves that much in doubt). Without a
    /// look-up (webhooks) a request in doubt is sent again, exactly as an unmarked one would be, so a mark may run as far
    /// ahead as the records do.
    /// </summary>
    private int Window(bool wholeBatch) => wholeBatch ? 1
        : adapter is IInDoubtLookup ? Math.Max(Math.Max(16, 2 * adapter.Parallelism), (int)((adapter.RequestsPerSecond ?? 0) * OutcomeBuffer.MaxDelay.TotalSeconds))
        : OutcomeBuffer.MaxPending + 2 * adapter.Parallelism;

    /// <returns>The lease without what the provider says it accepted (recorded as sent); the rest is sent again.</returns>
    private async Task<DeliveryLease> SettleInDoubtAsync(DeliveryLease lease, SendBatch batch, ConcurrentDictionary<Guid, bool> tried, CancellationToken ct)
    {
        var inDoubt = lease.Deliveries.Where(d => d.InFlightAt is not null).ToList();
        // Until settled they stay leased should the batch stop: given back, they would lose their doubt.
        foreach (var delivery in inDoubt)
        {
            tried[delivery.Id] = true;
        }
        IReadOnlyDictionary<Guid, SendResult> found = new Dictionary<Guid, SendResult>();
        var answered = adapter is not IInDoubtLookup;
        if (adapter is IInDoubtLookup lookup)
        {
            try
            {
                found = await lookup.FindAsync(batch with { Deliveries = inDoubt }, inDoubt, ct);
                answered = true;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                // Unknown is not sent: at least once, so it is sent again.
                logger.LogWarning(ex, "{Channel}: could not look up {Count} deliveries in doubt; they are sent again", adapter.Channel, inDoubt.Count);
            }
        }
        await leases.SettleInDoubtAsync(lease, inDoubt, found, adapter is IInDoubtLookup, answered, CancellationToken.None);
        logger.LogWarning("{Channel} batch {Batch} of {UpdateId}: {InDoubt} deliveries in doubt after an interrupted send, {Found} found accepted by the provider, {Again} sent again",
            adapter.Channel, batch.Batch, batch.UpdateId, inDoubt.Count, found.Count, inDoubt.Count - found.Count);
        return lease with { Deliveries = [.. lease.Deliveries.Where(d => !found.ContainsKey(d.Id)).Select(d => d with { InFlightAt = null })] };
    }

    // Best effort: should the database be away, the claim lapses instead and the batch comes back after it.
    private async Task ReleaseUntriedAsync(DeliveryLease lease, ConcurrentDictionary<Guid, bool> tried)
    {
        try
        {
            await leases.ReleaseUntriedAsync(lease, [.. tried.Keys]);
        }
        catch (Exception ex) when (DatabaseFailures.IsTransient(ex))
        {
            logger.LogWarning(ex, "{Channel}: could not give back the untried part of a batch; it is sent once its claim lapses", adapter.Channel);
        }
    }

    // Best effort too: a mark left behind covers no held delivery, so it puts nothing in doubt; retention deletes it.
    private async Task ForgetMarkAsync(DeliveryLease lease)
    {
        try
        {
            await leases.ForgetMarkAsync(lease);
        }
        catch (Exception ex) when (DatabaseFailures.IsTransient(ex))
        {
            logger.LogDebug(ex, "{Channel}: could not delete a batch's in-flight mark", adapter.Channel);
        }
    }

    // Held requests come back when the first of their circuits may take calls again.
    private static void KeepShortest(ref long ticks, long candidate)
    {
        long current;
        do
        {
            current = Interlocked.Read(ref ticks);
            if (candidate >= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref ticks, candidate, current) != current);
    }

    // Recorded with the answer, whatever happens to the message meanwhile, and audited with what caused it.
    private async Task EndSubscriptionsAsync(IServiceProvider services, IReadOnlyList<LeasedDelivery> recipients, SubscriberStatus status, SendResult result)
    {
        var now = time.GetUtcNow();
        var ids = recipients.Select(d => d.SubscriberId).ToList();
        var scoped = services.GetRequiredService<CommsHubDbContext>();
        await using var tx = await scoped.Database.BeginTransactionAsync(CancellationToken.None);
        var ended = await scoped.Subscribers.Where(s => ids.Contains(s.Id) && s.Status == SubscriberStatus.Confirmed)
            .Select(s => s.Id).ToListAsync(CancellationToken.None);
        if (ended.Count == 0)
        {
            return;
        }
        await scoped.Subscribers.Where(s => ended.Contains(s.Id) && s.Status == SubscriberStatus.Confirmed)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, status).SetProperty(x => x.UnsubscribedAt, now), CancellationToken.None);
        foreach (var delivery in recipients.Where(d => ended.Contains(d.SubscriberId)))
        {
            AuditLog.Append(scoped, now, AuditLog.System, "subscriber." + status.ToWire(), delivery.SubscriberId.ToString(), new JsonObject
            {
                ["channel"] = adapter.Channel.ToWire(),
                ["cause"] = "send_error",
                ["delivery"] = delivery.Id.ToString(),
                ["provider"] = result.Provider,
                ["httpStatus"] = result.HttpStatus,
                ["errorCode"] = result.ErrorCode,
            });
        }
        await scoped.SaveChangesAsync(CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
    }
}
