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
/// When the last request carrying it went out with no answer recorded: set when claimed, the delivery is in
/// doubt (its sender died after sending); set by the sender for the request it is about to make.
/// </param>
/// <param name="Kind">What the delivery carries: it says where the batch's content is (an update's, a message's, a campaign member's).</param>
public sealed record LeasedDelivery(Guid Id, Guid SubscriberId, string Recipient, int Attempts, DateTimeOffset? InFlightAt = null,
    DeliveryKind Kind = DeliveryKind.IncidentUpdate);

public sealed record DeliveryLease(Guid Token, Channel Channel, IReadOnlyList<LeasedDelivery> Deliveries);

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

    public async Task<DeliveryLease> ClaimAsync(Guid updateId, Channel channel, int batch, CancellationToken cancellationToken)
    {
        var token = Guid.NewGuid();
        var now = time.GetUtcNow();
        var until = now + Duration;
        if (db.Provider == DatabaseProvider.PostgreSql)
        {
            // Claim and read in one statement: one round trip, one commit.
            var wire = channel.ToWire();
            var rows = await db.Database.SqlQuery<ClaimedRow>($"""
                UPDATE deliveries SET lease_token = {token}, lease_until = {until}, attempts = attempts + 1
                WHERE update_id = {updateId} AND channel = {wire} AND batch = {batch} AND status = 'queued'
                  AND (lease_until IS NULL OR lease_until < {now}) AND (next_attempt_at IS NULL OR next_attempt_at <= {now})
                RETURNING id, subscriber_id, recipient, attempts, in_flight_at, kind
                """).ToListAsync(cancellationToken);
            // In the database's order of ids (RETURNING has none): the text form sorts as PostgreSQL's uuid does.
            return new DeliveryLease(token, channel, [.. rows.OrderBy(d => d.Id.ToString("N"), StringComparer.Ordinal)
                .Select(d => new LeasedDelivery(d.Id, d.SubscriberId, d.Recipient, d.Attempts, d.InFlightAt, Wire.Parse<DeliveryKind>(d.Kind)))]);
        }
        var claimed = await db.Deliveries
            .Where(d => d.UpdateId == updateId && d.Channel == channel && d.Batch == batch && d.Status == DeliveryStatus.Queued
                        && (d.LeaseUntil == null || d.LeaseUntil < now)
                        && (d.NextAttemptAt == null || d.NextAttemptAt <= now))
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.LeaseToken, token)
                .SetProperty(d => d.LeaseUntil, until)
                .SetProperty(d => d.Attempts, d => d.Attempts + 1), cancellationToken);
        if (claimed == 0)
        {
            return new DeliveryLease(token, channel, []);
        }
        var deliveries = await db.Deliveries.AsNoTracking()
            .Where(d => d.LeaseToken == token)
            .OrderBy(d => d.Id)
            .Select(d => new LeasedDelivery(d.Id, d.SubscriberId, d.Recipient, d.Attempts, d.InFlightAt, d.Kind))
            .ToListAsync(cancellationToken);
        return new DeliveryLease(token, channel, deliveries);
    }

    // The claim's row as PostgreSQL returns it: kind in its wire form (SqlQuery maps no value converters).
    private sealed record ClaimedRow(Guid Id, Guid SubscriberId, string Recipient, int Attempts, DateTimeOffset? InFlightAt, string Kind);

    /// <summary>Extends the lease of what this sender still holds.</summary>
    public Task<int> RenewAsync(DeliveryLease lease, CancellationToken cancellationToken)
    {
        var until = time.GetUtcNow() + Duration;
        return db.Deliveries.Where(d => d.LeaseToken == lease.Token).ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntil, until), cancellationToken);
    }

    /// <summary>
    /// Marks these deliveries of the lease (all of them when <paramref name="ids"/> is null) as on the wire
    /// from <paramref name="at"/>: one statement for one or several provider requests, before they leave.
    /// Cleared when the outcome is recorded, or when they are given back untried. The claim on them is
    /// extended to a whole <see cref="Duration"/> from the mark: however long the batch waited before this
    /// request (a slow plan, pacing), its answer has that long to be recorded — through a database failover
    /// too — before another sender may take them as in doubt.
    /// </summary>
    public Task<int> MarkInFlightAsync(DeliveryLease lease, IReadOnlyCollection<Guid>? ids, DateTimeOffset at)
    {
        var rows = db.Deliveries.Where(d => d.LeaseToken == lease.Token);
        if (ids is not null)
        {
            rows = rows.Where(d => ids.Contains(d.Id));
        }
        var until = at + Duration;
        // Not cancellable: a request is about to go out, and its mark must be stored first.
        return rows.ExecuteUpdateAsync(s => s.SetProperty(d => d.InFlightAt, at).SetProperty(d => d.LeaseUntil, until), CancellationToken.None);
    }

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
        var rows = db.Deliveries.Where(d => d.LeaseToken == lease.Token && d.Status == DeliveryStatus.Queued);
        if (tried.Count > 0)
        {
            rows = rows.Where(d => !tried.Contains(d.Id));
        }
        return rows.ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Attempts, d => d.Attempts - 1)
            .SetProperty(d => d.NextAttemptAt, d => d.NextAttemptAt ?? now)
            .SetProperty(d => d.InFlightAt, (DateTimeOffset?)null)
            .SetProperty(d => d.LeaseToken, (Guid?)null)
            .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), CancellationToken.None);
    }

    /// <summary>Gives the lease back untried, to be claimed again no sooner than <paramref name="until"/> (the claim's attempt is not counted).</summary>
    public Task<int> DeferAsync(DeliveryLease lease, DateTimeOffset until, CancellationToken cancellationToken) =>
        db.Deliveries.Where(d => d.LeaseToken == lease.Token).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Attempts, d => d.Attempts - 1)
            .SetProperty(d => d.NextAttemptAt, until)
            .SetProperty(d => d.InFlightAt, (DateTimeOffset?)null)
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
        var rows = db.Deliveries.Where(d => d.LeaseToken == lease.Token && d.Status == DeliveryStatus.Queued);
        // Still ours: a lease that expired and was taken over belongs to the other sender now.
        var held = await rows.Select(d => new { d.Id, d.Attempts }).ToListAsync(cancellationToken);
        if (held.Count == 0)
        {
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
                .SetProperty(d => d.InFlightAt, (DateTimeOffset?)null)
                .SetProperty(d => d.LeaseToken, (Guid?)null)
                .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), cancellationToken)
            : await rows.ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, status)
                .SetProperty(d => d.Provider, result.Provider)
                .SetProperty(d => d.LastError, error)
                .SetProperty(d => d.NextAttemptAt, next)
                .SetProperty(d => d.InFlightAt, (DateTimeOffset?)null)
                .SetProperty(d => d.LeaseToken, (Guid?)null)
                .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), cancellationToken);

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
        await AttemptWriter.WriteAsync(db, [.. held.Select(d => new DeliveryAttempt
        {
            DeliveryId = d.Id, Number = d.Attempts, At = now, Provider = result.Provider, Outcome = status, HttpStatus = result.HttpStatus,
            ErrorCode = result.ErrorCode, Error = Truncate(result.Error), ProviderMessageId = result.ProviderMessageId, LatencyMs = latency,
        })], cancellationToken);
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
