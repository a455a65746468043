using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Deliveries;

public sealed record DeliveryFilter(
    Guid? UpdateId = null,
    Guid? IncidentId = null,
    Channel? Channel = null,
    DeliveryStatus? Status = null,
    string? Recipient = null,
    Guid? Cursor = null,
    int Limit = 100);

public sealed record DeliveryView(
    Guid Id, Guid UpdateId, Guid IncidentId, Guid SubscriberId, Channel Channel, string Recipient, DeliveryStatus Status,
    string? Provider, string? ProviderMessageId, int Attempts, string? LastError,
    DateTimeOffset CreatedAt, DateTimeOffset? SentAt, DateTimeOffset? DeliveredAt);

public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

public sealed record UpdateReport(
    Guid UpdateId,
    int Audience,
    IReadOnlyDictionary<Channel, IReadOnlyDictionary<DeliveryStatus, int>> Channels,
    DateTimeOffset? FirstSentAt,
    DateTimeOffset? LastSentAt);

public sealed class DeliveryQueries(CommsHubDbContext db)
{
    public const int MaxLimit = 1000;

    /// <summary>Stable order (by id, which is creation order) and keyset paging: no row is skipped or repeated.</summary>
    public async Task<Page<DeliveryView>> ListAsync(DeliveryFilter filter, CancellationToken cancellationToken)
    {
        var query = db.Deliveries.AsNoTracking();
        if (filter.UpdateId is { } updateId)
        {
            query = query.Where(d => d.UpdateId == updateId);
        }
        if (filter.IncidentId is { } incidentId)
        {
            query = query.Where(d => d.IncidentId == incidentId);
        }
        if (filter.Channel is { } channel)
        {
            query = query.Where(d => d.Channel == channel);
        }
        if (filter.Status is { } status)
        {
            query = query.Where(d => d.Status == status);
        }
        if (!string.IsNullOrWhiteSpace(filter.Recipient))
        {
            var recipient = filter.Recipient.Trim().ToLowerInvariant();
            query = query.Where(d => d.Recipient == recipient);
        }
        if (filter.Cursor is { } cursor)
        {
            query = query.Where(d => d.Id > cursor);
        }
        var rows = await query.OrderBy(d => d.Id).Take(filter.Limit + 1)
            .Select(d => new DeliveryView(d.Id, d.UpdateId, d.IncidentId, d.SubscriberId, d.Channel, d.Recipient, d.Status,
                d.Provider, d.ProviderMessageId, d.Attempts, d.LastError, d.CreatedAt, d.SentAt, d.DeliveredAt))
            .ToListAsync(cancellationToken);
        var more = rows.Count > filter.Limit;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        return new Page<DeliveryView>(rows, more ? rows[^1].Id.ToString() : null);
    }

    /// <returns>The report, or null when the update does not exist.</returns>
    public async Task<UpdateReport?> ReportAsync(Guid updateId, CancellationToken cancellationToken)
    {
        if (!await db.IncidentUpdates.AnyAsync(u => u.Id == updateId, cancellationToken))
        {
            return null;
        }
        var counts = await db.Deliveries.AsNoTracking()
            .Where(d => d.UpdateId == updateId)
            .GroupBy(d => new { d.Channel, d.Status })
            .Select(g => new { g.Key.Channel, g.Key.Status, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var sent = db.Deliveries.AsNoTracking().Where(d => d.UpdateId == updateId && d.SentAt != null);
        var first = await sent.OrderBy(d => d.SentAt).Select(d => d.SentAt).FirstOrDefaultAsync(cancellationToken);
        var last = await sent.OrderByDescending(d => d.SentAt).Select(d => d.SentAt).FirstOrDefaultAsync(cancellationToken);
        var channels = counts.GroupBy(c => c.Channel).ToDictionary(
            g => g.Key,
            g => (IReadOnlyDictionary<DeliveryStatus, int>)g.ToDictionary(c => c.Status, c => c.Count));
        return new UpdateReport(updateId, counts.Sum(c => c.Count), channels, first, last);
    }
}
