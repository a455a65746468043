using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Subscribers;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace CommsHub.Core.Campaigns;

public sealed record CodePoolResult(Guid Id, int Count);

/// <summary>
/// Imports codes, one a line under a <c>code</c> header, streamed and written in chunks in one transaction, numbered
/// in the file's order (the order they are handed out in). A
/// pool is all or nothing: a repeated code (in the file, caught by the unique (pool, code) key too) or a bad line
/// refuses the whole file, with the lines named, since a pool with a code missing would be short for its audience.
/// On PostgreSQL the codes go to the table through one binary <c>COPY</c> as they are read (cancelled at the first bad
/// line: nothing more is written, the rest of the file is only checked); on SQLite in chunks of <see cref="ChunkSize"/>.
/// </summary>
public sealed class CodePoolImport(CommsHubDbContext db, TimeProvider time)
{
    private const int ChunkSize = 5000;
    public const int MaxCodeLength = 100;

    public async Task<CodePoolResult> ImportAsync(Stream csv, CancellationToken cancellationToken)
    {
        var pool = new CodePool { CreatedAt = time.GetUtcNow() };
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        db.CodePools.Add(pool);
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
        var copy = db.Provider == DatabaseProvider.PostgreSql
            ? await ((NpgsqlConnection)db.Database.GetDbConnection()).BeginBinaryImportAsync(
                "COPY pool_codes (id, pool_id, ordinal, code) FROM STDIN (FORMAT BINARY)", cancellationToken)
            : null;
        if (copy is not null)
        {
            copy.Timeout = AudienceImport.CopyTimeout;
        }
        var rejected = new Rejections();
        // Hashes, not the codes: a million codes are checked for repeats in a few tens of megabytes.
        var seen = new Dictionary<UInt128, int>();
        var chunk = new List<PoolCode>(ChunkSize);
        var count = 0;
        var header = false;
        try
        {
            using (var reader = new StreamReader(csv, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16))
            {
                var lineNumber = 0;
                string? text;
                while ((text = await reader.ReadLineAsync(cancellationToken)) is not null)
                {
                    lineNumber++;
                    if (string.IsNullOrWhiteSpace(text))
                    {
                        continue;
                    }
                    var fields = CsvLine.Split(text, out var quoting);
                    if (!header)
                    {
                        if (fields is not [var name] || !string.Equals(name, "code", StringComparison.OrdinalIgnoreCase))
                        {
                            throw new ValidationException(new Dictionary<string, string[]> { ["$"] = ["The header row must be the single column code."] });
                        }
                        header = true;
                        continue;
                    }
                    if (fields is not [var code])
                    {
                        rejected.Add(lineNumber, fields is null ? "Bad quoting: " + quoting : "one code a line, nothing else.");
                        continue;
                    }
                    if (code.Length > MaxCodeLength || OperatorText.FindForbidden(code) >= 0 || code.Any(char.IsWhiteSpace))
                    {
                        rejected.Add(lineNumber, $"a code is at most {MaxCodeLength} characters, without spaces or control characters.");
                        continue;
                    }
                    var key = Hash(code);
                    if (seen.TryGetValue(key, out var first))
                    {
                        rejected.Add(lineNumber, $"duplicate code: the same as line {first}.");
                        continue;
                    }
                    seen[key] = lineNumber;
                    if (rejected.Count > 0)
                    {
                        continue; // the file is refused: only its lines are checked from now on
                    }
                    if (copy is not null)
                    {
                        await copy.StartRowAsync(cancellationToken);
                        await copy.WriteAsync(Ids.New(), NpgsqlDbType.Uuid, cancellationToken);
                        await copy.WriteAsync(pool.Id, NpgsqlDbType.Uuid, cancellationToken);
                        await copy.WriteAsync(++count, NpgsqlDbType.Integer, cancellationToken);
                        await copy.WriteAsync(code, NpgsqlDbType.Text, cancellationToken);
                        continue;
                    }
                    chunk.Add(new PoolCode { PoolId = pool.Id, Ordinal = count + chunk.Count + 1, Code = code });
                    if (chunk.Count == ChunkSize)
                    {
                        count += await FlushAsync(chunk, cancellationToken);
                    }
                }
            }
            if (!header)
            {
                throw new ValidationException(new Dictionary<string, string[]> { ["$"] = ["The CSV is empty: it needs a header row (code)."] });
            }
            if (rejected.Count > 0)
            {
                throw new ValidationException(rejected.First().Take(20).ToDictionary(r => $"line {r.Line}", r => new[] { r.Error }));
            }
            if (copy is not null)
            {
                await copy.CompleteAsync(cancellationToken);
            }
        }
        finally
        {
            // The connection stays in COPY until the importer is disposed; one not completed is cancelled (nothing stored).
            if (copy is not null)
            {
                await copy.DisposeAsync();
            }
        }
        count += await FlushAsync(chunk, cancellationToken);
        pool.Count = count;
        db.CodePools.Attach(pool).Property(p => p.Count).IsModified = true;
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new CodePoolResult(pool.Id, count);
    }

    private async Task<int> FlushAsync(List<PoolCode> chunk, CancellationToken cancellationToken)
    {
        if (chunk.Count == 0)
        {
            return 0;
        }
        db.PoolCodes.AddRange(chunk);
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
        var written = chunk.Count;
        chunk.Clear();
        return written;
    }

    private static UInt128 Hash(string code) =>
        System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(code)));
}
