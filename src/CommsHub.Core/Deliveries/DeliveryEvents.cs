using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries.ProviderEvents;
using CommsHub.Core.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Deliveries;

/// <summary>What a provider event makes of the delivery's subscriber.</summary>
public enum SubscriberEffect { None, Unsubscribe, Suppress }

/// <summary>One provider report about one of our deliveries, matched and translated into our vocabulary.</summary>
/// <param name="EventId">The provider's id for this report: a replay with the same id has no second effect.</param>
/// <param name="Kind">The provider's own name for it (<c>bounce</c>, <c>undelivered</c>), for the audit.</param>
/// <param name="Status">The delivery status it reports, or null when it says nothing about the delivery.</param>
/// <param name="At">When the provider says it happened (null: when we heard of it).</param>
/// <param name="Error">For a failure, the delivery's <c>lastError</c>; never an address.</param>
public sealed record DeliveryEvent(
    string EventId,
    Guid DeliveryId,
    Guid SubscriberId,
    string Kind,
    DeliveryStatus? Status,
    SubscriberEffect Subscriber = SubscriberEffect.None,
    DateTimeOffset? At = null,
    string? ErrorCode = null,
    string? Error = null);

/// <summary>
/// Applies provider callbacks (delivery receipts, bounces, opt-outs) to deliveries and subscribers.
/// Status only moves forward: queued &lt; sent/sandboxed &lt; delivered &lt; failed/bounced/suppressed, so
/// a late or replayed report never undoes a later one. A batch is one transaction: the event ids
/// (the replay guard), the changes and one audit entry per change commit together or not at all.
/// </summary>
/// <remarks>
/// Changes are written as one conditional UPDATE per distinct outcome, not per event. The rows are
/// locked before they are read (<see cref="CallbackClaims"/>), and each UPDATE must still touch
/// exactly the rows it was planned for: should anything else have moved one meanwhile, the
/// transaction is rolled back and the batch planned again from what is stored, so the audit records
/// exactly what changed.
/// </remarks>
public sealed class DeliveryEvents(CommsHubDbContext db, TimeProvider time, ILogger<DeliveryEvents> logger)
{
    private const int MaxTries = 5;
    private static readonly DeliveryStatus[] AllStatuses = Enum.GetValues<DeliveryStatus>();

    public static int Rank(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Queued => 0,
        DeliveryStatus.Sent or DeliveryStatus.Sandboxed => 1,
        DeliveryStatus.Delivered => 2,
        _ => 3, // failed, bounced, suppressed: terminal
    };

    private static int Rank(SubscriberStatus status) => status switch
    {
        SubscriberStatus.Unsubscribed => 1,
        SubscriberStatus.Suppressed => 2,
        _ => 0,
    };

    /// <param name="actor">Who reported it, as the audit names it: <c>sendgrid</c>, <c>twilio</c>.</param>
    /// <param name="inbox">The replay-guard namespace for these event ids (<see cref="InboundMessage.Provider"/>).</param>
    /// <returns>How many delivery and subscriber changes were applied (replays and stale reports apply none).</returns>
    public async Task<int> ApplyAsync(string actor, string inbox, IReadOnlyList<DeliveryEvent> events, CancellationToken cancellationToken)
    {
        var unique = events.DistinctBy(e => e.EventId).ToList();
        if (unique.Count == 0)
        {
            return 0;
        }
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (await TryApplyAsync(actor, inbox, unique, cancellationToken) is { } applied)
                {
                    return applied;
                }
            }
            catch (Exception ex) when (attempt < MaxTries && CallbackClaims.IsRetryable(ex))
            {
                // Lost a race for an event id or a row lock (rolled back): start again from what is stored now.
            }
            db.ChangeTracker.Clear();
            if (attempt == MaxTries)
            {
                // The provider retries a non-2xx answer later, by when the competing callbacks are done.
                throw new InvalidOperationException($"{actor} events kept racing with concurrent changes; giving up for this request.");
            }
            logger.LogDebug("{Actor} events raced with a concurrent change; applying again ({Attempt})", actor, attempt);
        }
    }

    /// <returns>The number of changes, or null when a concurrent change spoiled the plan (rolled back).</returns>
    private async Task<int?> TryApplyAsync(string actor, string inbox, List<DeliveryEvent> events, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);

        // First, so a concurrent copy of the same event waits here rather than after our updates.
        var claimed = await CallbackClaims.ClaimAsync(db, inbox, events.Select(e => e.EventId).ToList(), now, cancellationToken);
        var fresh = events.Where(e => claimed.Contains(e.EventId)).ToList();
        if (fresh.Count == 0)
        {
            return 0; // all replays: nothing to commit
        }

        var deliveryChanges = await PlanDeliveriesAsync(fresh, now, cancellationToken);
        var subscriberChanges = await PlanSubscribersAsync(fresh, cancellationToken);
        if (!await WriteDeliveriesAsync(deliveryChanges, now, cancellationToken) || !await WriteSubscribersAsync(subscriberChanges, now, cancellationToken))
        {
            return null; // disposing the transaction rolls it back
        }

        foreach (var (e, status) in deliveryChanges)
        {
            AuditLog.Append(db, now, actor, "delivery." + status.ToWire(), e.DeliveryId.ToString(), Data(actor, e, status.ToWire()));
        }
        foreach (var (e, status) in subscriberChanges)
        {
            AuditLog.Append(db, now, actor, "subscriber." + status.ToWire(), e.SubscriberId.ToString(), Data(actor, e, status.ToWire()));
        }
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return deliveryChanges.Count + subscriberChanges.Count;
    }

    /// <summary>Every forward step, in the order the provider says they happened.</summary>
    private async Task<List<(DeliveryEvent Event, DeliveryStatus To)>> PlanDeliveriesAsync(List<DeliveryEvent> events, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var relevant = events.Where(e => e.Status is not null).ToList();
        var ids = relevant.Select(e => e.DeliveryId).Distinct().ToList();
        await CallbackClaims.LockDeliveriesAsync(db, ids, cancellationToken);
        var current = ids.Count == 0
            ? []
            : await db.Deliveries.AsNoTracking().Where(d => ids.Contains(d.Id)).ToDictionaryAsync(d => d.Id, d => d.Status, cancellationToken);
        var changes = new List<(DeliveryEvent, DeliveryStatus)>();
        foreach (var group in relevant.Where(e => current.ContainsKey(e.DeliveryId)).GroupBy(e => e.DeliveryId))
        {
            var state = current[group.Key];
            foreach (var e in group.OrderBy(e => e.At ?? now))
            {
                if (Rank(e.Status!.Value) > Rank(state))
                {
                    changes.Add((e, e.Status.Value));
                    state = e.Status.Value;
                }
            }
        }
        return changes;
    }

    private async Task<List<(DeliveryEvent Event, SubscriberStatus To)>> PlanSubscribersAsync(List<DeliveryEvent> events, CancellationToken cancellationToken)
    {
        var relevant = events.Where(e => e.Subscriber != SubscriberEffect.None).ToList();
        var ids = relevant.Select(e => e.SubscriberId).Distinct().ToList();
        await CallbackClaims.LockSubscribersAsync(db, ids, cancellationToken);
        // An erased subscriber is simply absent: nothing left to change.
        var current = ids.Count == 0
            ? []
            : await db.Subscribers.AsNoTracking().Where(s => ids.Contains(s.Id)).ToDictionaryAsync(s => s.Id, s => s.Status, cancellationToken);
        var changes = new List<(DeliveryEvent, SubscriberStatus)>();
        foreach (var group in relevant.Where(e => current.ContainsKey(e.SubscriberId)).GroupBy(e => e.SubscriberId))
        {
            var state = current[group.Key];
            foreach (var e in group)
            {
                var to = e.Subscriber == SubscriberEffect.Suppress ? SubscriberStatus.Suppressed : SubscriberStatus.Unsubscribed;
                if (Rank(to) > Rank(state))
                {
                    changes.Add((e, to));
                    state = to;
                }
            }
        }
        return changes;
    }

    /// <summary>One conditional UPDATE per distinct outcome; false when any row had moved on meanwhile.</summary>
    private async Task<bool> WriteDeliveriesAsync(List<(DeliveryEvent Event, DeliveryStatus To)> changes, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var outcomes = changes.GroupBy(c => c.Event.DeliveryId).Select(steps =>
        {
            var last = steps.Last();
            var delivered = steps.FirstOrDefault(s => s.To == DeliveryStatus.Delivered).Event;
            var error = Rank(last.To) == 3 ? last.Event.Error : null;
            // A provider clock ahead of ours must not date a delivery in the future.
            DateTimeOffset? deliveredAt = delivered is null ? null : Min(delivered.At ?? now, now);
            return (Id: steps.Key, last.To, DeliveredAt: deliveredAt, Error: error);
        });
        foreach (var group in outcomes.GroupBy(o => (o.To, o.DeliveredAt, o.Error)))
        {
            var (to, deliveredAt, error) = group.Key;
            var ids = group.Select(o => o.Id).ToList();
            var from = AllStatuses.Where(s => Rank(s) < Rank(to)).ToList();
            var updated = await db.Deliveries.Where(d => ids.Contains(d.Id) && from.Contains(d.Status)).ExecuteUpdateAsync(s =>
            {
                s.SetProperty(d => d.Status, to);
                // Settled: a retry it was waiting for (a callback that outran the record of a transient failure) is off.
                s.SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null);
                if (deliveredAt is not null)
                {
                    s.SetProperty(d => d.DeliveredAt, deliveredAt);
                }
                if (error is not null)
                {
                    s.SetProperty(d => d.LastError, error);
                }
            }, cancellationToken);
            if (updated != ids.Count)
            {
                return false;
            }
        }
        return true;
    }

    private async Task<bool> WriteSubscribersAsync(List<(DeliveryEvent Event, SubscriberStatus To)> changes, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        foreach (var group in changes.GroupBy(c => c.Event.SubscriberId).Select(g => (Id: g.Key, g.Last().To)).GroupBy(o => o.To))
        {
            var ids = group.Select(o => o.Id).ToList();
            // The same rule as SubscriberService.UnsubscribeAsync: only pending and confirmed subscribers opt out;
            // a suppression also overrides an earlier opt-out (it keeps the time they first left).
            var from = group.Key == SubscriberStatus.Suppressed
                ? new List<SubscriberStatus> { SubscriberStatus.Pending, SubscriberStatus.Confirmed, SubscriberStatus.Unsubscribed }
                : [SubscriberStatus.Pending, SubscriberStatus.Confirmed];
            var updated = await db.Subscribers.Where(s => ids.Contains(s.Id) && from.Contains(s.Status))
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, group.Key).SetProperty(x => x.UnsubscribedAt, x => x.UnsubscribedAt ?? now),
                    cancellationToken);
            if (updated != ids.Count)
            {
                return false;
            }
        }
        return true;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>People appear only as ids: no address, no phone number, no provider text that might quote one.</summary>
    private static JsonObject Data(string actor, DeliveryEvent e, string status)
    {
        var data = new JsonObject
        {
            ["deliveryId"] = e.DeliveryId.ToString(),
            ["subscriberId"] = e.SubscriberId.ToString(),
            ["status"] = status,
            ["provider"] = actor,
            ["event"] = e.Kind,
            ["eventId"] = e.EventId,
        };
        if (e.ErrorCode is not null)
        {
            data["errorCode"] = e.ErrorCode;
        }
        if (e.At is { } at)
        {
            data["reportedAt"] = at.ToUniversalTime().ToString("O");
        }
        return data;
    }
}
