using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Channels;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Deliveries;

public sealed partial class DeliveryLeases
{
    /// <summary>
    /// Records several outcomes of one lease (channels that send one request per recipient) in one
    /// transaction: one UPDATE for all of them on PostgreSQL, their attempt rows, one audit entry.
    /// </summary>
    /// <param name="markAhead">The lease's in-flight mark moved forward in the same transaction (requests still leaving).</param>
    public async Task<int> CompleteManyAsync(DeliveryLease lease, IReadOnlyList<(LeasedDelivery Delivery, SendResult Result)> outcomes,
        CancellationToken cancellationToken, (Guid ThroughId, DateTimeOffset At)? markAhead = null)
    {
        if (outcomes.Count == 0)
        {
            return 0;
        }
        var now = time.GetUtcNow();
        var rows = outcomes.Select(o =>
        {
            var (status, next, error) = Outcome(lease.Channel, o.Delivery.Attempts, o.Result, now);
            return (o.Delivery, o.Result, Status: o.Result.Accepted ? o.Result.Status : status, Next: next, Error: error);
        }).ToList();

        await using var tx = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        if (markAhead is { } mark)
        {
            // Before the lease's last record below can delete the mark: what it covers is still held.
            await MarkInFlightAsync(lease, mark.ThroughId, mark.At);
        }
        // Still ours and still queued (see CompleteAsync).
        var ids = rows.Select(r => r.Delivery.Id).ToList();
        var held = (await Held(lease).Where(d => ids.Contains(d.Id) && d.Status == DeliveryStatus.Queued)
            .Select(d => d.Id).ToListAsync(cancellationToken)).ToHashSet();
        rows.RemoveAll(r => !held.Contains(r.Delivery.Id));
        if (rows.Count == 0)
        {
            // Nothing left to record (taken over, or settled by a callback): the lease's mark may cover nothing any more.
            await ForgetMarkAsync(lease);
            if (tx is not null)
            {
                await tx.CommitAsync(cancellationToken);
            }
            return 0;
        }

        int updated;
        if (db.Provider == DatabaseProvider.PostgreSql)
        {
            var deliveryIds = rows.Select(r => r.Delivery.Id).ToArray();
            var statuses = rows.Select(r => r.Status.ToWire()).ToArray();
            var providers = rows.Select(r => r.Result.Provider).ToArray();
            var messageIds = rows.Select(r => r.Result.Accepted ? r.Result.ProviderMessageId : null).ToArray();
            var errors = rows.Select(r => r.Result.Accepted ? null : r.Error).ToArray();
            var nexts = rows.Select(r => r.Next).ToArray();
            var accepted = rows.Select(r => r.Result.Accepted).ToArray();
            // Null for every real send: only a sandboxed one keeps its text.
            var rendered = rows.Select(r => r.Result.Accepted ? r.Result.Rendered : null).ToArray();
            // A request left unanswered keeps the lease's token (not its time) and so its mark: its retry asks the provider first.
            var keep = rows.Select(r => r.Result.KeepsLeaseToken(r.Status)).ToArray();
            updated = await db.Database.ExecuteSqlAsync($"""
                UPDATE deliveries AS d SET
                    status = v.status, provider = v.provider,
                    provider_message_id = CASE WHEN v.accepted THEN v.message_id ELSE d.provider_message_id END,
                    sent_at = CASE WHEN v.accepted THEN {now} ELSE d.sent_at END,
                    rendered = CASE WHEN v.accepted THEN v.rendered ELSE d.rendered END,
                    last_error = v.error, next_attempt_at = v.next,
                    lease_token = CASE WHEN v.keep THEN d.lease_token END, lease_until = NULL
                FROM unnest({deliveryIds}, {statuses}, {providers}, {messageIds}, {errors}, {nexts}, {accepted}, {rendered}, {keep})
                    AS v(id, status, provider, message_id, error, next, accepted, rendered, keep)
                WHERE d.id = v.id AND d.lease_token = {lease.Token} AND d.lease_until IS NOT NULL AND d.status = 'queued'
                """, cancellationToken);
        }
        else
        {
            updated = 0;
            foreach (var r in rows)
            {
                var (id, status, provider, messageId, error, next) = (r.Delivery.Id, r.Status, r.Result.Provider, r.Result.ProviderMessageId, r.Error, r.Next);
                var rendered = r.Result.Rendered;
                updated += r.Result.Accepted
                    ? await Held(lease).Where(d => d.Id == id).ExecuteUpdateAsync(s => s
                        .SetProperty(d => d.Status, status).SetProperty(d => d.Provider, provider).SetProperty(d => d.ProviderMessageId, messageId)
                        .SetProperty(d => d.SentAt, now).SetProperty(d => d.Rendered, rendered).SetProperty(d => d.LastError, (string?)null).SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null)
                        .SetProperty(d => d.LeaseToken, (Guid?)null).SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), cancellationToken)
                    : await Held(lease).Where(d => d.Id == id).ExecuteUpdateAsync(s =>
                    {
                        s.SetProperty(d => d.Status, status).SetProperty(d => d.Provider, provider).SetProperty(d => d.LastError, error)
                            .SetProperty(d => d.NextAttemptAt, next).SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null);
                        if (!r.Result.KeepsLeaseToken(status))
                        {
                            s.SetProperty(d => d.LeaseToken, (Guid?)null);
                        }
                    }, cancellationToken);
            }
        }

        await AttemptWriter.WriteAsync(db, [.. rows.Select(r => new DeliveryAttempt
        {
            UpdateId = lease.UpdateId, Channel = lease.Channel, Batch = lease.Batch, DeliveryIds = [r.Delivery.Id], Number = r.Delivery.Attempts, At = now, Provider = r.Result.Provider, Outcome = r.Status,
            HttpStatus = r.Result.HttpStatus, ErrorCode = r.Result.ErrorCode, Error = Truncate(r.Result.Error),
            ProviderMessageId = r.Result.ProviderMessageId, LatencyMs = (int)Math.Min(int.MaxValue, r.Result.Latency.TotalMilliseconds),
        })], cancellationToken);
        await BatchBook.AddProviderMessagesAsync(db, lease.Channel,
            rows.Where(r => r.Result.Accepted).Select(r => (r.Delivery.Id, r.Result.ProviderMessageId)), cancellationToken);
        await CloseRecordedAsync(lease, cancellationToken);
        foreach (var group in rows.GroupBy(r => (r.Status, r.Result.Provider)))
        {
            var data = new JsonObject
            {
                ["channel"] = lease.Channel.ToWire(),
                ["status"] = group.Key.Status.ToWire(),
                ["provider"] = group.Key.Provider,
                ["deliveries"] = new JsonArray([.. group.Select(r => (JsonNode)new JsonObject
                {
                    ["id"] = r.Delivery.Id.ToString(),
                    ["attempt"] = r.Delivery.Attempts,
                    ["providerMessageId"] = r.Result.ProviderMessageId,
                    ["httpStatus"] = r.Result.HttpStatus,
                    ["errorCode"] = r.Result.ErrorCode,
                    ["retryAt"] = r.Next?.ToString("O"),
                })]),
            };
            AuditLog.Append(db, now, AuditLog.System,
                group.Key.Status == DeliveryStatus.Queued ? "delivery.retry_scheduled" : "delivery." + group.Key.Status.ToWire(), null, data);
        }
        await db.SaveChangesAsync(cancellationToken);
        if (tx is not null)
        {
            await tx.CommitAsync(cancellationToken);
        }
        foreach (var group in rows.GroupBy(r => r.Status))
        {
            Telemetry.CommsHubMetrics.DeliveryRecorded(lease.Channel, group.Key, group.Count());
        }
        return updated;
    }
}
