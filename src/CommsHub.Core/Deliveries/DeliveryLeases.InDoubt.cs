using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Common;

namespace CommsHub.Core.Deliveries;

public sealed partial class DeliveryLeases
{
    /// <summary>
    /// Settles what a dead sender left in doubt: what the provider says it accepted is recorded as sent with
    /// the provider's id (no second request); the rest will be sent again. Audited either way, with the counts,
    /// so an operator sees how many repeats a crash may have caused.
    /// </summary>
    public async Task SettleInDoubtAsync(DeliveryLease lease, IReadOnlyList<LeasedDelivery> inDoubt, IReadOnlyDictionary<Guid, SendResult> found,
        bool lookedUp, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        await CompleteManyAsync(lease, [.. inDoubt.Where(d => found.ContainsKey(d.Id)).Select(d => (d, found[d.Id]))], cancellationToken);
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
