using CommsHub.Core.Channels;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Deliveries;

/// <summary><c>Deliveries:LeaseDuration</c>.</summary>
public sealed class LeaseOptions
{
    /// <summary>
    /// How long a sender's claim on a batch lasts (renewed while it works). A sender that dies
    /// mid-batch holds its deliveries this long; then the retry sweep sends them again.
    /// </summary>
    public TimeSpan Duration { get; set; } = DeliveryLeases.LeaseDuration;
}

/// <param name="InFlightAt">
/// When a request carrying it may have left with no answer recorded: set when claimed, the delivery is in doubt
/// (a dead sender's <see cref="InFlightMark"/> covers it); set by the sender for the request it is about to make.
/// </param>
/// <param name="Kind">What the delivery carries: it says where the batch's content is (an update's, a message's, a campaign member's).</param>
public sealed record LeasedDelivery(Guid Id, Guid SubscriberId, string Recipient, int Attempts, DateTimeOffset? InFlightAt = null,
    DeliveryKind Kind = DeliveryKind.IncidentUpdate);

/// <param name="Until">When the claim runs out unless renewed (<see cref="DeliveryLeases.RenewAsync"/>).</param>
/// <param name="UpdateId">With <paramref name="Channel"/> and <paramref name="Batch"/>, the batch the lease was taken in: its rows are found by
/// the batch's index, so the lease token itself needs none (and a claim, which changes no indexed column, can be a HOT update).
/// No defaults: a lease with an empty update id or batch 0 would find none of its rows (or another batch's) and fail silently.</param>
/// <param name="MarkedThrough">The last delivery (in <see cref="DeliveryLeases.CompareIds"/> order) the claim marked in flight in its own write,
/// from <paramref name="MarkedAt"/>: the first requests of the batch leave without a write of their own (<see cref="InFlightMarks"/>).</param>
public sealed record DeliveryLease(Guid Token, Channel Channel, IReadOnlyList<LeasedDelivery> Deliveries, DateTimeOffset Until,
    Guid UpdateId, int Batch, Guid? MarkedThrough = null, DateTimeOffset MarkedAt = default);

/// <summary>
/// A sender claims the queued deliveries of a batch before it sends them. The claim is one
/// conditional UPDATE: PostgreSQL re-checks the condition after taking each row lock, so two
/// copies of the same command never both get a row. An expired lease (a sender that died
/// mid-send) may be claimed again: at least once, never silently dropped.
/// </summary>
public sealed partial class DeliveryLeases(CommsHubDbContext db, TimeProvider time, IOptions<LeaseOptions> options)
{
    /// <summary>The default lease: longer than any one provider request may take (its time-out), so a live sender never loses its claim.</summary>
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(2);

    /// <summary>This deployment's lease (<c>Deliveries:LeaseDuration</c>).</summary>
    public TimeSpan Duration => options.Value.Duration;

    /// <param name="markFirst">
    /// How many of the claimed deliveries (the first, in <see cref="CompareIds"/> order) the claim marks in flight in its own
    /// write (<see cref="InFlightMark"/>): those the sender's first requests carry, so they leave without a write of their
    /// own. An email batch's one request is all of it. 0 marks nothing.
    /// </param>
    public async Task<DeliveryLease> ClaimAsync(Guid updateId, Channel channel, int batch, CancellationToken cancellationToken, int markFirst = 0)
    {
        var token = Guid.NewGuid();
        var now = time.GetUtcNow();
        var until = now + Duration;
        var since = InFlightMarks.Truncate(now);
        List<ClaimedRow> rows;
        var wire = channel.ToWire();
        if (db.Provider == DatabaseProvider.PostgreSql)
        {
            // Claim, mark and read in one statement: one round trip, one commit (markFirst 0 marks nothing: LIMIT 0). The lease
            // a delivery is taken from is kept beside the new one, in the same write: with its sender's mark it says what is in doubt.
            rows = await db.Database.SqlQuery<ClaimedRow>($"""
                WITH claimed AS (
                    UPDATE deliveries SET previous_lease_token = lease_token, lease_token = {token}, lease_until = {until}, attempts = attempts + 1
                    WHERE update_id = {updateId} AND channel = {wire} AND batch = {batch} AND status = 'queued'
                      AND (lease_until IS NULL OR lease_until < {now}) AND (next_attempt_at IS NULL OR next_attempt_at <= {now})
                    RETURNING id, subscriber_id, recipient, attempts, previous_lease_token, kind),
                marked AS (
                    INSERT INTO in_flight_marks (lease_token, update_id, channel, batch, since, through_id)
                    SELECT {token}, {updateId}, {wire}, {batch}, {since}, id
                    FROM (SELECT id FROM claimed ORDER BY id LIMIT {markFirst}) AS first ORDER BY id DESC LIMIT 1)
                SELECT id, subscriber_id, recipient, attempts, previous_lease_token, kind FROM claimed
                """).ToListAsync(cancellationToken);
        }
        else
        {
            var claimed = await db.Deliveries
                .Where(d => d.UpdateId == updateId && d.Channel == channel && d.Batch == batch && d.Status == DeliveryStatus.Queued
                            && (d.LeaseUntil == null || d.LeaseUntil < now)
                            && (d.NextAttemptAt == null || d.NextAttemptAt <= now))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(d => d.PreviousLeaseToken, d => d.LeaseToken)
                    .SetProperty(d => d.LeaseToken, token)
                    .SetProperty(d => d.LeaseUntil, until)
                    .SetProperty(d => d.Attempts, d => d.Attempts + 1), cancellationToken);
            rows = claimed == 0 ? [] : await Held(updateId, channel, batch, token).AsNoTracking()
                .Select(d => new ClaimedRow(d.Id, d.SubscriberId, d.Recipient, d.Attempts, d.PreviousLeaseToken, d.Kind.ToWire()))
                .ToListAsync(cancellationToken);
        }
        // In the database's order of ids (RETURNING has none): the order requests are marked in flight in.
        rows.Sort((a, b) => CompareIds(a.Id, b.Id));
        var lease = new DeliveryLease(token, channel, [], until, updateId, batch);
        if (markFirst > 0 && rows.Count > 0)
        {
            lease = lease with { MarkedThrough = rows[Math.Min(rows.Count, markFirst) - 1].Id, MarkedAt = since };
            if (db.Provider != DatabaseProvider.PostgreSql)
            {
                await MarkInFlightAsync(lease, lease.MarkedThrough.Value, since);
            }
        }
        var inDoubt = await InDoubtAsync(lease, rows);
        return lease with
        {
            Deliveries = [.. rows.Select(d => new LeasedDelivery(d.Id, d.SubscriberId, d.Recipient, d.Attempts,
                inDoubt.TryGetValue(d.Id, out var since) ? since : null, Wire.Parse<DeliveryKind>(d.Kind)))],
        };
    }

    // The claim's row as the database returns it: kind in its wire form (SqlQuery maps no value converters).
    private sealed record ClaimedRow(Guid Id, Guid SubscriberId, string Recipient, int Attempts, Guid? PreviousLeaseToken, string Kind);

    /// <summary>
    /// The order of delivery ids in both databases: PostgreSQL compares a uuid's bytes, SQLite the upper-case text
    /// (the same order). Claims list their deliveries in it, and an <see cref="InFlightMark"/> covers a prefix of it.
    /// </summary>
    public static int CompareIds(Guid a, Guid b)
    {
        Span<byte> x = stackalloc byte[16];
        Span<byte> y = stackalloc byte[16];
        a.TryWriteBytes(x, bigEndian: true, out _);
        b.TryWriteBytes(y, bigEndian: true, out _);
        return x.SequenceCompareTo(y);
    }

    /// <summary>
    /// Of what was just claimed, what a dead sender had on the wire: a delivery taken from a lapsed lease whose
    /// sender left an in-flight mark covering it. Almost every claim takes nothing from a lapsed lease and reads
    /// nothing here. The doubt passes to the new lease (its mark) before anything is sent, so a second death
    /// before it is settled does not lose it.
    /// </summary>
    private async Task<Dictionary<Guid, DateTimeOffset>> InDoubtAsync(DeliveryLease lease, List<ClaimedRow> rows)
    {
        var doubt = new Dictionary<Guid, DateTimeOffset>();
        var previous = rows.Where(r => r.PreviousLeaseToken is not null).Select(r => r.PreviousLeaseToken!.Value).Distinct().ToList();
        if (previous.Count == 0)
        {
            return doubt;
        }
        var marks = await db.InFlightMarks.AsNoTracking().Where(m => previous.Contains(m.LeaseToken))
            .ToDictionaryAsync(m => m.LeaseToken, CancellationToken.None);
        foreach (var row in rows)
        {
            if (row.PreviousLeaseToken is { } from && marks.TryGetValue(from, out var mark) && CompareIds(row.Id, mark.ThroughId) <= 0)
            {
                doubt[row.Id] = mark.Since;
            }
        }
        if (doubt.Count > 0)
        {
            // The in-doubt deliveries are not a prefix of the new lease when it also took others: the mark covers up
            // to the last of them, and a delivery it covers needlessly costs a look-up at most.
            var through = doubt.Keys.Max(Comparer<Guid>.Create(CompareIds));
            await MarkInFlightAsync(lease, through, doubt.Values.Min());
        }
        // The dead sender's marks cover nothing it holds any more: everything it held was just claimed. Looked into per mark
        // (a scalar subquery, through the batches' index whatever the statistics say; DeliveryRedrive.InOpenBatches).
        await db.InFlightMarks.Where(m => previous.Contains(m.LeaseToken) && db.Deliveries.Where(d => d.UpdateId == m.UpdateId && d.Channel == m.Channel
            && d.Batch == m.Batch && d.Status == DeliveryStatus.Queued && d.LeaseToken == m.LeaseToken).Select(d => (int?)1).FirstOrDefault() == null)
            .ExecuteDeleteAsync(CancellationToken.None);
        return doubt;
    }

    // The lease's rows, through the queued batches' index (a leased row is queued: every outcome ends its lease, and
    // one a provider's callback settled first is no longer the sender's to hold). A row whose request went unanswered keeps
    // the lease's token without its time (SendResult.Unanswered): recorded, so no longer held, but still under the lease's mark.
    private IQueryable<Delivery> Held(Guid updateId, Channel channel, int batch, Guid token) =>
        UnderMark(updateId, channel, batch, token).Where(d => d.LeaseUntil != null);

    private IQueryable<Delivery> Held(DeliveryLease lease) => Held(lease.UpdateId, lease.Channel, lease.Batch, lease.Token);

    // What the lease's in-flight mark still covers: what it holds, and what went unanswered under it.
    private IQueryable<Delivery> UnderMark(Guid updateId, Channel channel, int batch, Guid token) =>
        db.Deliveries.Where(d => d.UpdateId == updateId && d.Channel == channel && d.Batch == batch && d.Status == DeliveryStatus.Queued && d.LeaseToken == token);

    /// <summary>Extends the lease of what this sender still holds.</summary>
    public Task<int> RenewAsync(DeliveryLease lease, CancellationToken cancellationToken)
    {
        var until = time.GetUtcNow() + Duration;
        return Held(lease).ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntil, until), cancellationToken);
    }

    /// <summary>
    /// Marks the lease's deliveries up to <paramref name="throughId"/> (in <see cref="CompareIds"/> order) as on the
    /// wire, from <paramref name="at"/> unless an earlier mark says sooner: one row per lease, written before the
    /// requests leave. A later mark only moves <see cref="InFlightMark.ThroughId"/> forward; one that says sooner (a dead
    /// sender's doubt passed on after the claim marked its first requests) moves <see cref="InFlightMark.Since"/> back.
    /// </summary>
    public async Task MarkInFlightAsync(DeliveryLease lease, Guid throughId, DateTimeOffset at)
    {
        // Not cancellable: a request is about to go out, and its mark must be stored first.
        var token = lease.Token;
        if (db.Provider == DatabaseProvider.PostgreSql)
        {
            // One statement whether or not the lease has a mark yet; uuids compare as CompareIds does.
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO in_flight_marks (lease_token, update_id, channel, batch, since, through_id)
                VALUES ({token}, {lease.UpdateId}, {lease.Channel.ToWire()}, {lease.Batch}, {at}, {throughId})
                ON CONFLICT (lease_token) DO UPDATE SET through_id = CASE WHEN excluded.through_id > in_flight_marks.through_id
                    THEN excluded.through_id ELSE in_flight_marks.through_id END, since = LEAST(in_flight_marks.since, excluded.since)
                """, CancellationToken.None);
            return;
        }
        // SQLite has one writer at a time: read, then insert or move forward.
        var mark = await db.InFlightMarks.AsNoTracking().SingleOrDefaultAsync(m => m.LeaseToken == token, CancellationToken.None);
        if (mark is null)
        {
            var added = db.InFlightMarks.Add(new InFlightMark
            {
                LeaseToken = token, UpdateId = lease.UpdateId, Channel = lease.Channel, Batch = lease.Batch, Since = at, ThroughId = throughId,
            });
            await db.SaveChangesAsync(CancellationToken.None);
            added.State = EntityState.Detached;
        }
        else if (CompareIds(throughId, mark.ThroughId) > 0 || at < mark.Since)
        {
            var through = CompareIds(throughId, mark.ThroughId) > 0 ? throughId : mark.ThroughId;
            var from = at < mark.Since ? at : mark.Since;
            await db.InFlightMarks.Where(m => m.LeaseToken == token)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.ThroughId, through).SetProperty(m => m.Since, from), CancellationToken.None);
        }
    }

    /// <summary>
    /// The end of a record, in its transaction: the batch closes if nothing of it is queued any more, and the lease's mark
    /// goes if nothing of the lease is held any more (so the sender writes nothing of its own for either).
    /// </summary>
    private async Task CloseRecordedAsync(DeliveryLease lease, CancellationToken cancellationToken)
    {
        await BatchBook.CloseIfSettledAsync(db, lease.UpdateId, lease.Channel, lease.Batch, cancellationToken);
        await ForgetMarkAsync(lease);
    }

    /// <summary>
    /// Deletes the lease's in-flight mark once none of its deliveries is still held: every answer recorded, the rest
    /// handed back. A request whose answer could not be recorded keeps its delivery leased, and so the mark. Recording
    /// an outcome does it in its own transaction (<see cref="CompleteAsync"/>, <see cref="CompleteManyAsync"/>), so a
    /// batch whose every answer was recorded needs no write of its own for it.
    /// </summary>
    public Task<int> ForgetMarkAsync(DeliveryLease lease) =>
        db.InFlightMarks.Where(m => m.LeaseToken == lease.Token && !UnderMark(lease.UpdateId, lease.Channel, lease.Batch, lease.Token).Any())
            .ExecuteDeleteAsync(CancellationToken.None);

    /// <summary>
    /// Gives back what a sender that stopped half-way (its message cancelled: a broker connection
    /// lost, a shutdown) never tried: still queued, still under this lease. Claimable again at once
    /// by the redelivered command, instead of after the lease expires; the claim's attempt is not counted.
    /// </summary>
    /// <param name="tried">Deliveries whose request went out but whose answer was not recorded: they stay leased, since sending them again at once could repeat them.</param>
    public Task<int> ReleaseUntriedAsync(DeliveryLease lease, IReadOnlyCollection<Guid> tried)
    {
        // Due at once: should the command not come back (parked in an error queue by the interruption),
        // the retry sweep sends the batch again within seconds instead of after Redrive:StuckAfter.
        var now = time.GetUtcNow();
        var rows = Held(lease).Where(d => d.Status == DeliveryStatus.Queued);
        if (tried.Count > 0)
        {
            rows = rows.Where(d => !tried.Contains(d.Id));
        }
        return rows.ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Attempts, d => d.Attempts - 1)
            .SetProperty(d => d.NextAttemptAt, d => d.NextAttemptAt ?? now)
            .SetProperty(d => d.LeaseToken, (Guid?)null)
            .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), CancellationToken.None);
    }

    /// <summary>Gives the lease back untried, to be claimed again no sooner than <paramref name="until"/> (the claim's attempt is not counted).</summary>
    /// <param name="keep">Deliveries that stay leased: in doubt and not yet settled, they keep their doubt until the claim lapses.</param>
    public Task<int> DeferAsync(DeliveryLease lease, DateTimeOffset until, CancellationToken cancellationToken, IReadOnlyCollection<Guid>? keep = null) =>
        (keep is { Count: > 0 } ? Held(lease).Where(d => !keep.Contains(d.Id)) : Held(lease)).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Attempts, d => d.Attempts - 1)
            .SetProperty(d => d.NextAttemptAt, until)
            .SetProperty(d => d.LeaseToken, (Guid?)null)
            .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), cancellationToken);

    /// <summary>Records one outcome on every delivery of the lease and releases it.</summary>
    /// <remarks>
    /// The new status, one attempt row per delivery and one audit entry commit together: a delivery's
    /// attempts always explain its status, and no status changes without its record. Channels that
    /// send one request per recipient record through <see cref="CompleteManyAsync"/>.
    /// </remarks>
    public async Task<int> CompleteAsync(DeliveryLease lease, SendResult result, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var tx = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        // Still queued: a provider's callback may already have moved it on (delivered before we recorded the 202).
        var rows = Held(lease).Where(d => d.Status == DeliveryStatus.Queued);
        // Still ours: a lease that expired and was taken over belongs to the other sender now.
        var held = await rows.Select(d => new { d.Id, d.Attempts }).ToListAsync(cancellationToken);
        if (held.Count == 0)
        {
            // Nothing left to record (taken over, or settled by a callback): the lease's mark covers nothing any more.
            await ForgetMarkAsync(lease);
            if (tx is not null)
            {
                await tx.CommitAsync(cancellationToken);
            }
            return 0;
        }
        var attempts = held.Max(d => d.Attempts);
        var (status, next, error) = Outcome(lease.Channel, attempts, result, now);
        var updated = result.Accepted
            ? await rows.ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, result.Status)
                .SetProperty(d => d.Provider, result.Provider)
                .SetProperty(d => d.ProviderMessageId, result.ProviderMessageId)
                .SetProperty(d => d.SentAt, now)
                .SetProperty(d => d.Rendered, result.Rendered)
                .SetProperty(d => d.LastError, (string?)null)
                .SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null)
                    .SetProperty(d => d.LeaseToken, (Guid?)null)
                .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), cancellationToken)
            : await rows.ExecuteUpdateAsync(s =>
            {
                s.SetProperty(d => d.Status, status)
                    .SetProperty(d => d.Provider, result.Provider)
                    .SetProperty(d => d.LastError, error)
                    .SetProperty(d => d.NextAttemptAt, next)
                    .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null);
                // No answer: the token and so its mark stay, so the retry finds the batch in doubt and asks first.
                if (!result.KeepsLeaseToken(status))
                {
                    s.SetProperty(d => d.LeaseToken, (Guid?)null);
                }
            }, cancellationToken);

        if (result.Accepted && result.RenderedEach is { } each)
        {
            // Sandbox only (a real send stores no text): one small update per personal message.
            foreach (var d in held)
            {
                if (each.TryGetValue(d.Id, out var text))
                {
                    await db.Deliveries.Where(x => x.Id == d.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Rendered, text), cancellationToken);
                }
            }
        }
        var latency = (int)Math.Min(int.MaxValue, result.Latency.TotalMilliseconds);
        // One request, one attempt row, whatever the number of recipients it carried.
        await AttemptWriter.WriteAsync(db, [.. AttemptWriter.ForRequest(lease.UpdateId, lease.Channel, lease.Batch, held.Select(d => (d.Id, d.Attempts)),
            new(now, result.Provider, status, result.HttpStatus, result.ErrorCode, Truncate(result.Error), result.ProviderMessageId, latency))], cancellationToken);
        if (result.Accepted)
        {
            await BatchBook.AddProviderMessagesAsync(db, lease.Channel, held.Select(d => (d.Id, result.ProviderMessageId)), cancellationToken);
        }
        await CloseRecordedAsync(lease, cancellationToken);
        var data = new JsonObject
        {
            ["channel"] = lease.Channel.ToWire(),
            ["status"] = status.ToWire(),
            ["provider"] = result.Provider,
            ["providerMessageId"] = result.ProviderMessageId,
            ["httpStatus"] = result.HttpStatus,
            ["errorCode"] = result.ErrorCode,
            ["attempt"] = attempts,
            ["retryAt"] = next?.ToString("O"),
            ["deliveries"] = new JsonArray([.. held.Select(d => (JsonNode)d.Id.ToString())]),
        };
        AuditLog.Append(db, now, AuditLog.System, status == DeliveryStatus.Queued ? "delivery.retry_scheduled" : "delivery." + status.ToWire(),
            held.Count == 1 ? held[0].Id.ToString() : null, data);
        await db.SaveChangesAsync(cancellationToken);
        if (tx is not null)
        {
            await tx.CommitAsync(cancellationToken);
        }
        Telemetry.CommsHubMetrics.DeliveryRecorded(lease.Channel, status, updated);
        return updated;
    }

    /// <summary>
    /// Accepted: the provider's status. A transient failure waits for its next attempt (never before a
    /// provider's Retry-After); once the schedule is exhausted, or for a permanent refusal, it has failed.
    /// </summary>
    private static (DeliveryStatus Status, DateTimeOffset? Next, string? Error) Outcome(Channel channel, int attempts, SendResult result, DateTimeOffset now)
    {
        if (result.Accepted)
        {
            return (result.Status, null, null);
        }
        var next = result.Transient ? RetryPolicy.Next(channel, attempts, result.RetryAfter, now) : null;
        var error = next is null && result.Transient ? $"Gave up after {attempts} attempts: {result.Error}" : result.Error;
        return (next is null ? DeliveryStatus.Failed : DeliveryStatus.Queued, next, error);
    }

    private static string? Truncate(string? text) => text is { Length: > 2000 } ? text[..2000] : text;
}
