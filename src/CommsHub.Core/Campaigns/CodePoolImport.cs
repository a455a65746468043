using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Subscribers;

namespace CommsHub.Core.Campaigns;

public sealed record CodePoolResult(Guid Id, int Count);

/// <summary>
/// Imports codes, one a line under a <c>code</c> header, streamed and written in chunks in one transaction. A
/// pool is all or nothing: a repeated code (in the file, caught by the unique (pool, code) key too) or a bad line
/// refuses the whole file, with the lines named, since a pool with a code missing would be short for its audience.
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
        var rejected = new Rejections();
        // Hashes, not the codes: a million codes are checked for repeats in a few tens of megabytes.
        var seen = new Dictionary<UInt128, int>();
        var chunk = new List<PoolCode>(ChunkSize);
        var count = 0;
        var header = false;
        using (var reader = new StreamReader(csv))
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
                chunk.Add(new PoolCode { PoolId = pool.Id, Code = code });
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
        count += await FlushAsync(chunk, cancellationToken);
        pool.Count = count;
        db.CodePools.Attach(pool).Property(p => p.Count).IsModified = true;
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new CodePoolResult(pool.Id, count);
    }

    private async Task<int> FlushAsync(List<PoolCode> chunk, CancellationToken cancellationToken)
    {
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
