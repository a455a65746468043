using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Subscribers;

public sealed record ImportRejection(int Line, string Error);

/// <param name="Secrets">The signing secret of each webhook subscriber this import created (or that had none): shown once, as when one is created alone.</param>
/// <param name="Rejected">The first <see cref="Rejections.Kept"/> rejected lines, in line order; <see cref="RejectedCount"/> counts them all.</param>
public sealed record ImportResult(int Imported, int Updated, int Unchanged, IReadOnlyList<ImportRejection> Rejected, IReadOnlyList<ImportedSecret> Secrets)
{
    public int RejectedCount { get; init; }
}

public sealed record ImportedSecret(int Line, Guid Id, string Secret);

/// <summary>
/// CSV import of confirmed subscribers (columns <c>email</c>, <c>phone</c>, <c>webhookUrl</c>,
/// <c>components</c> as <c>;</c>-separated ids). Idempotent on the address: running the same file
/// twice imports nothing the second time. Bad lines are reported and the good ones kept. An
/// import never resubscribes someone who unsubscribed or was suppressed: only they can.
/// </summary>
public sealed class SubscriberImport(CommsHubDbContext db, SubscriberAddresses addresses, AddressHasher hasher, ISubscriberBulkWriter bulk,
    SubscriberSecrets secrets, TimeProvider time)
{
    private const int ChunkSize = 5000;

    public async Task<ImportResult> ImportAsync(Stream csv, CancellationToken cancellationToken)
    {
        var knownComponents = (await db.Components.Select(c => c.Id).ToListAsync(cancellationToken)).ToHashSet();
        var rejected = new Rejections();
        var rows = new Dictionary<SubscriberAddress, (int Line, List<Guid> Components)>();

        using (var reader = new StreamReader(csv))
        {
            // Line by line, so a bad line (an unclosed quote) costs that line only and the next one is read afresh.
            var lineNumber = 0;
            string? text;
            Dictionary<string, int>? columns = null;
            while ((text = await reader.ReadLineAsync(cancellationToken)) is not null)
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(text))
                {
                    continue;
                }
                var fields = CsvLine.Split(text, out var quoting);
                if (columns is null)
                {
                    columns = Header(fields, quoting);
                    continue;
                }
                if (fields is null)
                {
                    rejected.Add(lineNumber, "Bad quoting: " + quoting);
                    continue;
                }
                string? Field(string name) => columns.TryGetValue(name, out var at) && at < fields.Count && !string.IsNullOrWhiteSpace(fields[at]) ? fields[at] : null;
                var errors = new FieldErrors();
                var address = await addresses.ParseAsync(Field("email"), Field("phone"), Field("webhookurl"), errors, cancellationToken);
                var components = ParseComponents(Field("components"), knownComponents, errors);
                if (errors.Any || address is null)
                {
                    rejected.Add(lineNumber, string.Join(" ", errors.ToDictionary().SelectMany(e => e.Value)));
                    continue;
                }
                rows[address.Value] = (lineNumber, components); // a repeated address: the last line wins
            }
            if (columns is null)
            {
                throw new Common.ValidationException(new Dictionary<string, string[]> { ["$"] = ["The CSV is empty: it needs a header row (email, phone, webhookUrl, components)."] });
            }
        }

        int imported = 0, updated = 0, unchanged = 0;
        var issued = new List<ImportedSecret>();
        foreach (var chunk in rows.Chunk(ChunkSize))
        {
            var (i, u, n) = await ApplyAsync(chunk, rejected, issued, cancellationToken);
            imported += i;
            updated += u;
            unchanged += n;
        }
        return new ImportResult(imported, updated, unchanged, rejected.First(), issued.OrderBy(s => s.Line).ToList()) { RejectedCount = rejected.Count };
    }

    private async Task<(int Imported, int Updated, int Unchanged)> ApplyAsync(
        KeyValuePair<SubscriberAddress, (int Line, List<Guid> Components)>[] chunk, Rejections rejected, List<ImportedSecret> issued,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        int imported = 0, updated = 0, unchanged = 0;
        var added = new List<Subscriber>();
        var addedSecrets = new List<ImportedSecret>();
        foreach (var byChannel in chunk.GroupBy(r => r.Key.Channel))
        {
            var channel = byChannel.Key;
            var addresses = byChannel.Select(r => r.Key.Address).ToList();
            // EF.Parameter: one array parameter (= ANY) rather than EF 10's default of 5,000 inlined parameters.
            var existing = await db.Subscribers.Include(s => s.Components)
                .Where(s => s.Channel == channel && EF.Parameter(addresses).Contains(s.Address))
                .ToDictionaryAsync(s => s.Address, cancellationToken);
            var hashes = byChannel.ToDictionary(r => r.Key.Address, r => hasher.Hash(channel, r.Key.Address));
            var hashList = hashes.Values.ToList();
            var suppressed = (await db.Suppressions.Where(x => x.Channel == channel && EF.Parameter(hashList).Contains(x.AddressHash))
                .Select(x => x.AddressHash).ToListAsync(cancellationToken)).ToHashSet();

            foreach (var (address, (line, components)) in byChannel)
            {
                if (suppressed.Contains(hashes[address.Address]))
                {
                    rejected.Add(line, "this address opted out and was erased; it cannot be imported.");
                    continue;
                }
                if (!existing.TryGetValue(address.Address, out var subscriber))
                {
                    var subscriberToAdd = new Subscriber { Channel = channel, Address = address.Address, Status = SubscriberStatus.Confirmed, CreatedAt = now, ConfirmedAt = now };
                    subscriberToAdd.Components.AddRange(components.Select(c => new SubscriberComponent { SubscriberId = subscriberToAdd.Id, ComponentId = c }));
                    if (channel == Channel.Webhook)
                    {
                        // Signed like any webhook subscriber; the secret is in the answer, once.
                        addedSecrets.Add(new ImportedSecret(line, subscriberToAdd.Id, secrets.Issue(subscriberToAdd)));
                    }
                    added.Add(subscriberToAdd);
                    continue;
                }
                if (subscriber.Status is SubscriberStatus.Unsubscribed or SubscriberStatus.Suppressed)
                {
                    rejected.Add(line, $"this address is {subscriber.Status.ToWire()}; only its owner can subscribe it again.");
                    continue;
                }
                var sameComponents = subscriber.Components.Select(c => c.ComponentId).ToHashSet().SetEquals(components);
                var needsSecret = channel == Channel.Webhook && subscriber.ProtectedSecret is null;
                if (needsSecret)
                {
                    // Imported before imports issued secrets: it could never be signed for.
                    issued.Add(new ImportedSecret(line, subscriber.Id, secrets.Issue(subscriber)));
                }
                if (subscriber.Status == SubscriberStatus.Confirmed && sameComponents && !needsSecret)
                {
                    unchanged++;
                    continue;
                }
                subscriber.Status = SubscriberStatus.Confirmed;
                subscriber.ConfirmedAt ??= now;
                if (!sameComponents)
                {
                    db.RemoveRange(subscriber.Components);
                    db.AddRange(components.Select(c => new SubscriberComponent { SubscriberId = subscriber.Id, ComponentId = c }));
                }
                updated++;
            }
        }
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
        imported = await bulk.InsertAsync(added, cancellationToken);
        if (addedSecrets.Count > 0)
        {
            // Only for rows really inserted: one subscribed concurrently keeps its own secret.
            var ids = addedSecrets.Select(a => a.Id).ToList();
            var inserted = (await db.Subscribers.Where(s => EF.Parameter(ids).Contains(s.Id)).Select(s => s.Id).ToListAsync(cancellationToken)).ToHashSet();
            issued.AddRange(addedSecrets.Where(a => inserted.Contains(a.Id)));
        }
        // A row skipped by the bulk insert was subscribed concurrently: it exists, untouched by us.
        unchanged += added.Count - imported;
        return (imported, updated, unchanged);
    }

    private static Dictionary<string, int> Header(List<string>? fields, string? quoting)
    {
        if (fields is null)
        {
            throw new Common.ValidationException(new Dictionary<string, string[]> { ["$"] = ["Bad quoting in the header row: " + quoting] });
        }
        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < fields.Count; i++)
        {
            columns.TryAdd(fields[i].Trim().ToLowerInvariant(), i);
        }
        if (!columns.Keys.Any(c => c is "email" or "phone" or "webhookurl"))
        {
            throw new Common.ValidationException(new Dictionary<string, string[]>
            {
                ["$"] = ["The header row must name at least one of the columns email, phone, webhookUrl (and optionally components)."],
            });
        }
        return columns;
    }

    private static List<Guid> ParseComponents(string? text, HashSet<Guid> known, FieldErrors errors)
    {
        var ids = new List<Guid>();
        if (text is null)
        {
            return ids;
        }
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Guid.TryParse(part, out var id))
            {
                errors.Add("components", $"'{part}' is not a component id.");
            }
            else if (!known.Contains(id))
            {
                errors.Add("components", $"no component has id {id}.");
            }
            else if (!ids.Contains(id))
            {
                ids.Add(id);
            }
        }
        return ids;
    }
}
