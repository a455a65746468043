using CommsHub.Core.Channels.Email;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Subscribers;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Campaigns;

public sealed record AudienceResult(Guid Id, int Count, IReadOnlyList<ImportRejection> Rejected)
{
    public int RejectedCount { get; init; }
}

/// <summary>
/// Imports a customer list (<c>externalId</c>, <c>email</c>, <c>phone</c>, <c>name</c>, <c>locale</c>) line by line:
/// the file is never held whole, members are written in chunks, and each bad line is reported with its number
/// (the first <see cref="Rejections.Kept"/>, and a count). Addresses are normalised as subscribers' are.
/// </summary>
public sealed class AudienceImport(CommsHubDbContext db, IOptions<SmsOptions> sms, TimeProvider time)
{
    private const int ChunkSize = 5000;

    public async Task<AudienceResult> ImportAsync(Stream csv, CancellationToken cancellationToken)
    {
        var audience = new Audience { Source = "csv", CreatedAt = time.GetUtcNow() };
        db.Audiences.Add(audience);
        await db.SaveChangesAsync(cancellationToken);
        var rejected = new Rejections();
        var chunk = new List<AudienceMember>(ChunkSize);
        var count = 0;
        using (var reader = new StreamReader(csv))
        {
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
                if (Parse(fields, columns, out var error) is not { } member)
                {
                    rejected.Add(lineNumber, error!);
                    continue;
                }
                chunk.Add(new AudienceMember
                {
                    AudienceId = audience.Id, ExternalId = member.ExternalId, Email = member.Email, Phone = member.Phone,
                    Name = member.Name, Locale = member.Locale,
                });
                if (chunk.Count == ChunkSize)
                {
                    count += await FlushAsync(chunk, cancellationToken);
                }
            }
            if (columns is null)
            {
                throw new ValidationException(new Dictionary<string, string[]> { ["$"] = ["The CSV is empty: it needs a header row (externalId, email, phone, name, locale)."] });
            }
        }
        count += await FlushAsync(chunk, cancellationToken);
        audience.Count = count;
        await db.SaveChangesAsync(cancellationToken);
        return new AudienceResult(audience.Id, count, rejected.First()) { RejectedCount = rejected.Count };
    }

    private async Task<int> FlushAsync(List<AudienceMember> chunk, CancellationToken cancellationToken)
    {
        if (chunk.Count == 0)
        {
            return 0;
        }
        // Tracked entities would grow with the file: each chunk is written and forgotten.
        var tracked = db.ChangeTracker.Entries<Audience>().Select(e => e.Entity).ToList();
        db.AudienceMembers.AddRange(chunk);
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
        foreach (var audience in tracked)
        {
            db.Attach(audience);
        }
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
