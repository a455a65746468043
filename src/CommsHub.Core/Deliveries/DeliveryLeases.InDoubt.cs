using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Common;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Deliveries;

public sealed partial class DeliveryLeases
{
    /// <summary>
    /// Settles what a dead sender left in doubt: what the provider says it accepted is recorded as sent with
    /// the provider's id (no second request); the rest will be sent again. Audited either way, with the counts,
    /// so an operator sees how many repeats a crash may have caused.
    /// </summary>
    /// <param name="answered">The provider answered the look-up (or there is none to ask): what it did not find was not sent, and the
    /// mark can say what this claim sends from here. After a failed look-up the mark keeps the dead sender's time and reach, so a
    /// second death still looks as far back.</param>
    public async Task SettleInDoubtAsync(DeliveryLease lease, IReadOnlyList<LeasedDelivery> inDoubt, IReadOnlyDictionary<Guid, SendResult> found,
        bool lookedUp, bool answered, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        await CompleteManyAsync(lease, [.. inDoubt.Where(d => found.ContainsKey(d.Id)).Select(d => (d, found[d.Id]))], cancellationToken);
        // Settled by an answered look-up: from here the lease's mark says what this sender puts on the wire, at the time its
        // own requests are keyed by (an email batch's key is its mark's time). Kept at the dead sender's time, a second death
        // would look up the first sender's key, not find this sender's request, and send it a third time. After a failed
        // look-up nothing was learnt, and the mark keeps what the dead sender left.
        if (answered)
        {
            var token = lease.Token;
            var marks = db.InFlightMarks.Where(m => m.LeaseToken == token);
            await (lease.MarkedThrough is { } through
                ? marks.ExecuteUpdateAsync(s => s.SetProperty(m => m.Since, lease.MarkedAt).SetProperty(m => m.ThroughId, through), cancellationToken)
                : marks.ExecuteDeleteAsync(cancellationToken));
        }
        AuditLog.Append(db, now, AuditLog.System, "delivery.in_doubt", inDoubt.Count == 1 ? inDoubt[0].Id.ToString() : null, new JsonObject
        {
            ["channel"] = lease.Channel.ToWire(),
            ["inDoubt"] = inDoubt.Count,
            ["lookedUp"] = lookedUp,
            ["foundSent"] = found.Count,
            ["sentAgain"] = inDoubt.Count - found.Count,
            ["since"] = inDoubt.Min(d => d.InFlightAt)?.ToString("O"),
            ["deliveries"] = new JsonArray([.. inDoubt.Select(d => (JsonNode)d.Id.ToString())]),
        });
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }
}
