using CommsHub.Core.Channels.Email;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace CommsHub.Core.Campaigns;

public sealed record AudienceResult(Guid Id, int Count, IReadOnlyList<ImportRejection> Rejected)
{
    public int RejectedCount { get; init; }
}

/// <summary>
/// Imports a customer list (<c>externalId</c>, <c>email</c>, <c>phone</c>, <c>name</c>, <c>locale</c>) line by line:
/// the file is never held whole, and each bad line is reported with its number (the first <see cref="Rejections.Kept"/>,
/// and a count). Addresses are normalised as subscribers' are. On PostgreSQL the members go to the table through one
/// binary <c>COPY</c> as they are read, in one transaction with the audience (a failed upload leaves nothing); on SQLite
/// (one writer) in chunks of <see cref="ChunkSize"/>, each its own transaction, so an import does not hold the writer.
/// </summary>
public sealed class AudienceImport(CommsHubDbContext db, IOptions<SmsOptions> sms, TimeProvider time)
{
    private const int ChunkSize = 5000;

    public async Task<AudienceResult> ImportAsync(Stream csv, CancellationToken cancellationToken)
    {
        // Large reads: the request body arrives in network-sized pieces, a line at a time would be a read per line.
        using var reader = new StreamReader(csv, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        var lineNumber = 0;
        string? text;
        Dictionary<string, int>? columns = null;
        // The header first: a file refused for it leaves no audience behind.
        while (columns is null && (text = await reader.ReadLineAsync(cancellationToken)) is not null)
        {
            lineNumber++;
            if (!string.IsNullOrWhiteSpace(text))
            {
                var fields = CsvLine.Split(text, out var quoting);
                columns = Header(fields, quoting);
            }
        }
        if (columns is null)
        {
            throw new ValidationException(new Dictionary<string, string[]> { ["$"] = ["The CSV is empty: it needs a header row (externalId, email, phone, name, locale)."] });
        }

        var audience = new Audience { Source = "csv", CreatedAt = time.GetUtcNow() };
        var postgres = db.Provider == DatabaseProvider.PostgreSql;
        await using var tx = postgres ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        db.Audiences.Add(audience);
        await db.SaveChangesAsync(cancellationToken);
        var rejected = new Rejections();
        var chunk = new List<AudienceMember>(postgres ? 0 : ChunkSize);
        var count = 0;
        var copy = postgres ? await BeginCopyAsync(cancellationToken) : null;
        try
        {
            while ((text = await reader.ReadLineAsync(cancellationToken)) is not null)
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(text))
                {
                    continue;
                }
                var fields = CsvLine.Split(text, out var quoting);
                if (fields is null)
                {
                    rejected.Add(lineNumber, "Bad quoting: " + quoting);
                    continue;
                }
                if (Parse(fields, columns, out var error) is not { } parsed)
                {
                    rejected.Add(lineNumber, error!);
                    continue;
                }
                var member = new AudienceMember
                {
                    AudienceId = audience.Id, ExternalId = parsed.ExternalId, Email = parsed.Email, Phone = parsed.Phone,
                    Name = parsed.Name, Locale = parsed.Locale,
                };
                if (copy is not null)
                {
                    await WriteAsync(copy, member, cancellationToken);
                    count++;
                    continue;
                }
                chunk.Add(member);
                if (chunk.Count == ChunkSize)
                {
                    count += await FlushAsync(chunk, cancellationToken);
                }
            }
            if (copy is not null)
            {
                await copy.CompleteAsync(cancellationToken);
                // The connection stays in COPY until the importer is disposed.
                await copy.DisposeAsync();
                copy = null;
            }
        }
        finally
        {
            if (copy is not null)
            {
                await copy.DisposeAsync(); // not completed: the COPY is cancelled, the transaction rolls back
            }
        }
        count += await FlushAsync(chunk, cancellationToken);
        audience.Count = count;
        db.Audiences.Attach(audience).Property(a => a.Count).IsModified = true;
        await db.SaveChangesAsync(cancellationToken);
        if (tx is not null)
        {
            await tx.CommitAsync(cancellationToken);
        }
        return new AudienceResult(audience.Id, count, rejected.First()) { RejectedCount = rejected.Count };
    }

    // The transaction's connection: the rows are the transaction's, and a failure before the commit leaves none.
    private async Task<NpgsqlBinaryImporter> BeginCopyAsync(CancellationToken cancellationToken)
    {
        var copy = await ((NpgsqlConnection)db.Database.GetDbConnection()).BeginBinaryImportAsync(
            "COPY audience_members (id, audience_id, external_id, email, phone, name, locale) FROM STDIN (FORMAT BINARY)", cancellationToken);
        copy.Timeout = CopyTimeout;
        return copy;
    }

    /// <summary>
    /// How long one COPY may wait on the server. The command timeout (5 s by default) is for statements; a million-line
    /// upload arriving at the client's pace, or a busy server finishing the rows and their indexes, needs longer.
    /// </summary>
    public static readonly TimeSpan CopyTimeout = TimeSpan.FromMinutes(10);

    private static async Task WriteAsync(NpgsqlBinaryImporter copy, AudienceMember m, CancellationToken cancellationToken)
    {
        await copy.StartRowAsync(cancellationToken);
        await copy.WriteAsync(m.Id, NpgsqlDbType.Uuid, cancellationToken);
        await copy.WriteAsync(m.AudienceId, NpgsqlDbType.Uuid, cancellationToken);
        await copy.WriteAsync(m.ExternalId, NpgsqlDbType.Text, cancellationToken);
        await WriteTextAsync(copy, m.Email, cancellationToken);
        await WriteTextAsync(copy, m.Phone, cancellationToken);
        await WriteTextAsync(copy, m.Name, cancellationToken);
        await WriteTextAsync(copy, m.Locale, cancellationToken);
    }

    private static Task WriteTextAsync(NpgsqlBinaryImporter copy, string? value, CancellationToken cancellationToken) =>
        value is null ? copy.WriteNullAsync(cancellationToken) : copy.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    private async Task<int> FlushAsync(List<AudienceMember> chunk, CancellationToken cancellationToken)
    {
        if (chunk.Count == 0)
        {
            return 0;
        }
        // Tracked entities would grow with the file: each chunk is written and forgotten.
        db.AudienceMembers.AddRange(chunk);
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
        var written = chunk.Count;
        chunk.Clear();
        return written;
    }

    private sealed record ParsedMember(string ExternalId, string? Email, string? Phone, string? Name, string? Locale);

    private ParsedMember? Parse(List<string> fields, Dictionary<string, int> columns, out string? error)
    {
        string? Field(string name) => columns.TryGetValue(name, out var at) && at < fields.Count && !string.IsNullOrWhiteSpace(fields[at]) ? fields[at] : null;
        var errors = new List<string>();
        var externalId = Field("externalid");
        if (externalId is null)
        {
            errors.Add("externalId is required.");
        }
        else if (externalId.Length > 200 || OperatorText.FindForbidden(externalId) >= 0)
        {
            errors.Add("externalId must be at most 200 characters without control characters.");
        }
        string? email = null, phone = null;
        if (Field("email") is { } rawEmail)
        {
            if (EmailAddresses.TryNormalize(rawEmail, out var normalized))
            {
                email = normalized;
            }
            else
            {
                errors.Add($"'{rawEmail}' is not a valid email address.");
            }
        }
        if (Field("phone") is { } rawPhone)
        {
            if (PhoneNumberNormalizer.TryNormalize(rawPhone, sms.Value.DefaultRegion, out var e164, out var phoneError))
            {
                phone = e164;
            }
            else
            {
                errors.Add(phoneError ?? $"'{rawPhone}' is not a valid phone number.");
            }
        }
        if (Field("email") is null && Field("phone") is null)
        {
            errors.Add("give an email, a phone number or both.");
        }
        var name = Field("name");
        if (name is not null && (name.Length > 200 || OperatorText.FindForbidden(name) >= 0))
        {
            errors.Add("name must be at most 200 characters without control characters.");
        }
        var locale = Field("locale");
        if (locale is not null && (locale.Length > 35 || !locale.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            errors.Add($"'{locale}' is not a locale (such as en or pt-BR).");
        }
        error = errors.Count > 0 ? string.Join(" ", errors) : null;
        return errors.Count > 0 ? null : new ParsedMember(externalId!, email, phone, name, locale);
    }

    private static Dictionary<string, int> Header(List<string>? fields, string? quoting)
    {
        if (fields is null)
        {
            throw new ValidationException(new Dictionary<string, string[]> { ["$"] = ["Bad quoting in the header row: " + quoting] });
        }
        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < fields.Count; i++)
        {
            columns.TryAdd(fields[i].Trim().ToLowerInvariant(), i);
        }
        if (!columns.ContainsKey("externalid") || !columns.Keys.Any(c => c is "email" or "phone"))
        {
            throw new ValidationException(new Dictionary<string, string[]>
            {
                ["$"] = ["The header row must name externalId and at least one of email, phone (and optionally name, locale)."],
            });
        }
        return columns;
    }
}
