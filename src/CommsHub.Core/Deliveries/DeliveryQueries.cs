using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Deliveries;

/// <summary>Which deliveries to read. <c>From</c> is inclusive and <c>To</c> exclusive, both on <c>CreatedAt</c>.</summary>
public sealed record DeliveryFilter(
    Guid? UpdateId = null,
    Guid? IncidentId = null,
    Channel? Channel = null,
    DeliveryStatus? Status = null,
    string? Recipient = null,
    Guid? Cursor = null,
    int Limit = 100,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    DeliveryKind? Kind = null);

/// <param name="UpdateId">The update's id; for a delivery of another <paramref name="Kind"/> (a confirmation, a notice to operators), its message's.</param>
public sealed record DeliveryView(
    Guid Id, Guid UpdateId, Guid IncidentId, Guid SubscriberId, Channel Channel, string Recipient, DeliveryStatus Status,
    string? Provider, string? ProviderMessageId, int Attempts, string? LastError,
    DateTimeOffset CreatedAt, DateTimeOffset? SentAt, DateTimeOffset? DeliveredAt, DeliveryKind Kind);

public sealed record DeliveryAttemptView(
    int Number, DateTimeOffset At, string Provider, DeliveryStatus Outcome, int? HttpStatus,
    string? ErrorCode, string? Error, string? ProviderMessageId, int LatencyMs);

/// <param name="Rendered">What a sandboxed delivery would have sent; null for any other.</param>
public sealed record DeliveryDetail(DeliveryView Delivery, IReadOnlyList<DeliveryAttemptView> Attempts, string? Rendered = null);

public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

public sealed record UpdateReport(
    Guid UpdateId,
    int Audience,
    IReadOnlyDictionary<Channel, IReadOnlyDictionary<DeliveryStatus, int>> Channels,
    DateTimeOffset PublishedAt,
    DateTimeOffset? FirstSentAt,
    DateTimeOffset? LastSentAt);

public sealed class DeliveryQueries(CommsHubDbContext db)
{
    public const int MaxLimit = 1000;

    /// <summary>Rows per query when reading everything (the CSV export): bounded memory, few round trips.</summary>
    public const int ExportPageSize = 5000;

    private static readonly Expression<Func<Delivery, DeliveryView>> ToView = d => new DeliveryView(
        d.Id, d.UpdateId, d.IncidentId, d.SubscriberId, d.Channel, d.Recipient, d.Status,
        d.Provider, d.ProviderMessageId, d.Attempts, d.LastError, d.CreatedAt, d.SentAt, d.DeliveredAt, d.Kind);

    private static readonly Func<Delivery, DeliveryView> ToViewOne = ToView.Compile();

    /// <summary>Stable order (by id, which is creation order) and keyset paging: no row is skipped or repeated.</summary>
    public async Task<Page<DeliveryView>> ListAsync(DeliveryFilter filter, CancellationToken cancellationToken)
    {
        var rows = await ReadAfterAsync(filter, filter.Cursor, filter.Limit + 1, cancellationToken);
        var more = rows.Count > filter.Limit;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        return new Page<DeliveryView>(rows, more ? rows[^1].Id.ToString() : null);
    }

    /// <summary>
    /// Every matching delivery, ignoring <c>Cursor</c> and <c>Limit</c>, one keyset page per query.
    /// Separate short queries rather than one open reader: a slow client never holds a connection
    /// (or, on PostgreSQL, a snapshot) for the length of a download, and memory stays at one page.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<DeliveryView>> PagesAsync(DeliveryFilter filter, int pageSize = ExportPageSize,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        Guid? after = null;
        while (true)
        {
            var rows = await ReadAfterAsync(filter, after, pageSize, cancellationToken);
            if (rows.Count > 0)
            {
                yield return rows;
            }
            if (rows.Count < pageSize)
            {
                yield break;
            }
            after = rows[^1].Id;
        }
    }

    /// <returns>The delivery with its attempts in order, or null when it does not exist.</returns>
    public async Task<DeliveryDetail?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        // The whole row, rendered text included: one delivery.
        var row = await db.Deliveries.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (row is null)
        {
            return null;
        }
        var attempts = await db.DeliveryAttempts.AsNoTracking()
            .Where(a => a.UpdateId == row.UpdateId && a.Channel == row.Channel && a.Batch == row.Batch && a.DeliveryIds.Contains(id))
            .OrderBy(a => a.Number).ThenBy(a => a.Id)
            .Select(a => new DeliveryAttemptView(a.Number, a.At, a.Provider, a.Outcome, a.HttpStatus, a.ErrorCode, a.Error,
                a.ProviderMessageId, a.LatencyMs))
            .ToListAsync(cancellationToken);
        return new DeliveryDetail(ToViewOne(row), attempts, row.Rendered);
    }

    /// <returns>The report, or null when the update does not exist.</returns>
    public async Task<UpdateReport?> ReportAsync(Guid updateId, CancellationToken cancellationToken)
    {
        var publishedAt = await db.IncidentUpdates.AsNoTracking()
            .Where(u => u.Id == updateId)
            .Select(u => (DateTimeOffset?)u.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken);
        if (publishedAt is null)
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
        return new UpdateReport(updateId, counts.Sum(c => c.Count), channels, publishedAt.Value, first, last);
    }

    private Task<List<DeliveryView>> ReadAfterAsync(DeliveryFilter filter, Guid? after, int take, CancellationToken cancellationToken)
    {
        var query = Matching(filter);
        if (after is { } cursor)
        {
            query = query.Where(d => d.Id > cursor);
        }
        return query.OrderBy(d => d.Id).Take(take).Select(ToView).ToListAsync(cancellationToken);
    }

    private IQueryable<Delivery> Matching(DeliveryFilter filter)
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
        if (filter.Kind is { } kind)
        {
            query = query.Where(d => d.Kind == kind);
        }
        if (!string.IsNullOrWhiteSpace(filter.Recipient))
        {
            var recipient = filter.Recipient.Trim().ToLowerInvariant();
            query = query.Where(d => d.Recipient == recipient);
        }
        // Stored times are UTC: Npgsql refuses other offsets, and SQLite compares them as UTC ticks.
        if (filter.From is { } from)
        {
            var fromUtc = from.ToUniversalTime();
            query = query.Where(d => d.CreatedAt >= fromUtc);
        }
        if (filter.To is { } to)
        {
            var toUtc = to.ToUniversalTime();
            query = query.Where(d => d.CreatedAt < toUtc);
        }
        return query;
    }
}
