using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Audit;

public sealed record AuditVerification(
    bool Valid, long Records, long? FirstBrokenRecord, string? Problem, long? HeadRecord, string? HeadHash, long Pending, long? CheckpointRecord);

/// <summary>
/// Chains appended audit entries, one writer at a time, and verifies the chain. Each entry's hash is
/// SHA-256 over the previous entry's hash and the entry's canonical content, so a changed, deleted
/// or reordered row breaks every hash from it on. Appending never waits for the chain: entries are
/// written in their change's transaction and chained moments later (the <c>audit-chain</c> job).
/// </summary>
public sealed class AuditChain(CommsHubDbContext db, ILogger<AuditChain> logger)
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";
    private const int BatchSize = 5_000;
    private const long LockKey = 0x436F6D6D73487562; // "CommsHub": the advisory lock the one writer holds
    private static readonly SemaphoreSlim SqliteWriter = new(1, 1);

    /// <summary>Gives every unchained entry its place and hash; returns how many it chained.</summary>
    /// <param name="wait">Wait for another process's chaining to finish (a verification) rather than leave it the work (the recurring job).</param>
    public async Task<int> ChainPendingAsync(CancellationToken cancellationToken, bool wait = false)
    {
        if (db.Provider == DatabaseProvider.Sqlite)
        {
            await SqliteWriter.WaitAsync(cancellationToken);
        }
        try
        {
            var total = 0;
            int chained;
            do
            {
                chained = await ChainBatchAsync(wait, cancellationToken);
                total += chained;
            }
            while (chained == BatchSize);
            if (total > 0)
            {
                logger.LogDebug("Chained {Count} audit entries", total);
            }
            return total;
        }
        finally
        {
            if (db.Provider == DatabaseProvider.Sqlite)
            {
                SqliteWriter.Release();
            }
        }
    }

    private async Task<int> ChainBatchAsync(bool wait, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        if (db.Provider == DatabaseProvider.PostgreSql)
        {
            if (wait)
            {
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({LockKey})", cancellationToken);
            }
            else if (!await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock({LockKey}) AS \"Value\"").SingleAsync(cancellationToken))
            {
                return 0; // another process is chaining right now
            }
        }
        var pending = await db.AuditEntries.AsNoTracking().Where(e => e.Seq == null).OrderBy(e => e.Id).Take(BatchSize)
            .Select(e => new { e.Id, e.At, e.Actor, e.Action, e.Subject, e.Source, e.Data }).ToListAsync(cancellationToken);
        if (pending.Count == 0)
        {
            return 0;
        }
        var head = await db.AuditEntries.AsNoTracking().Where(e => e.Seq != null).OrderByDescending(e => e.Seq)
            .Select(e => new { Seq = e.Seq!.Value, e.Hash }).FirstOrDefaultAsync(cancellationToken);
        var checkpoint = head is null
            ? await db.AuditCheckpoints.AsNoTracking().OrderByDescending(c => c.Seq).FirstOrDefaultAsync(cancellationToken)
            : null;
        var seq = head?.Seq ?? checkpoint?.Seq ?? 0;
        var prev = head?.Hash ?? checkpoint?.Hash ?? Genesis;
        var ids = new long[pending.Count];
        var seqs = new long[pending.Count];
        var prevs = new string[pending.Count];
        var hashes = new string[pending.Count];
        for (var i = 0; i < pending.Count; i++)
        {
            var e = pending[i];
            ids[i] = e.Id;
            seqs[i] = ++seq;
            prevs[i] = prev;
            hashes[i] = prev = Hash(seq, prevs[i], e.At, e.Actor, e.Action, e.Subject, e.Source, e.Data);
        }
        if (db.Provider == DatabaseProvider.PostgreSql)
        {
            // One statement for the whole batch.
            await db.Database.ExecuteSqlAsync($"""
                UPDATE audit_entries AS a SET seq = v.seq, prev_hash = v.prev, hash = v.hash
                FROM unnest({ids}, {seqs}, {prevs}, {hashes}) AS v(id, seq, prev, hash)
                WHERE a.id = v.id
                """, cancellationToken);
        }
        else
        {
            for (var i = 0; i < ids.Length; i++)
            {
                var (id, s, p, h) = (ids[i], seqs[i], prevs[i], hashes[i]);
                await db.AuditEntries.Where(a => a.Id == id)
                    .ExecuteUpdateAsync(u => u.SetProperty(a => a.Seq, s).SetProperty(a => a.PrevHash, p).SetProperty(a => a.Hash, h), cancellationToken);
            }
        }
        await tx.CommitAsync(cancellationToken);
        return pending.Count;
    }

    /// <summary>Recomputes the whole chain (from the last retention checkpoint), streaming it.</summary>
    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken)
    {
        var checkpoint = await db.AuditCheckpoints.AsNoTracking().OrderByDescending(c => c.Seq).FirstOrDefaultAsync(cancellationToken);
        var pending = await db.AuditEntries.LongCountAsync(e => e.Seq == null, cancellationToken);
        var expected = (checkpoint?.Seq ?? 0) + 1;
        var prev = checkpoint?.Hash ?? Genesis;
        long records = 0;
        var rows = db.AuditEntries.AsNoTracking().Where(e => e.Seq != null).OrderBy(e => e.Seq)
            .Select(e => new { Seq = e.Seq!.Value, e.At, e.Actor, e.Action, e.Subject, e.Source, e.Data, e.PrevHash, e.Hash })
            .AsAsyncEnumerable();
        await foreach (var e in rows.WithCancellation(cancellationToken))
        {
            string? problem = null;
            long broken = e.Seq;
            if (e.Seq < expected)
            {
                continue; // at or before the checkpoint: pruned history's last survivors are not part of the rest
            }
            if (e.Seq != expected)
            {
                (problem, broken) = ($"record {expected} is missing", expected);
            }
            else if (e.PrevHash != prev)
            {
                problem = $"record {e.Seq} does not follow the record before it";
            }
            else if (Hash(e.Seq, prev, e.At, e.Actor, e.Action, e.Subject, e.Source, e.Data) != e.Hash)
            {
                problem = $"record {e.Seq} was changed after it was written";
            }
            if (problem is not null)
            {
                Telemetry.TelemetrySampler.AuditVerified(false);
                return new AuditVerification(false, records, broken, problem, null, null, pending, checkpoint?.Seq);
            }
            records++;
            prev = e.Hash!;
            expected++;
        }
        var last = expected - 1;
        Telemetry.TelemetrySampler.AuditVerified(true);
        return new AuditVerification(true, records, null, null, last == 0 ? null : last, last == 0 ? null : prev, pending, checkpoint?.Seq);
    }

    /// <summary>SHA-256, hex, over the previous hash and each field length-prefixed (so no two contents read alike).</summary>
    public static string Hash(long seq, string prev, DateTimeOffset at, string actor, string action, string? subject, string? source, string data)
    {
        var text = new StringBuilder(prev.Length + data.Length + 200).Append(prev).Append('\n');
        foreach (var field in new[] { seq.ToString(CultureInfo.InvariantCulture), at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
                     actor, action, subject ?? "", source ?? "", data })
        {
            text.Append(field.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(field).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
