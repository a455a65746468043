using System.Globalization;
using System.Text;
using CommsHub.Core.Common;
using CsvHelper;
using CsvHelper.Configuration;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// The audit export: one CSV row per delivery, the same columns and values as the API's delivery
/// JSON, written page by page so a million rows never sit in memory.
/// </summary>
public static class DeliveryExport
{
    public const string ContentType = "text/csv; charset=utf-8";

    public static readonly IReadOnlyList<string> Columns =
    [
        "id", "updateId", "incidentId", "subscriberId", "channel", "recipient", "status", "provider",
        "providerMessageId", "attempts", "lastError", "createdAt", "sentAt", "deliveredAt", "kind",
    ];

    // CsvHelper's own injection guard escapes every leading '+' and '-', which would turn each
    // E.164 recipient into "'+1555…": we neutralise the free-text cells ourselves (see Neutralize).
    private static readonly CsvConfiguration CsvOptions = new(CultureInfo.InvariantCulture)
    {
        InjectionOptions = InjectionOptions.None,
        NewLine = "\r\n",
    };

    public static string FileName(DateTimeOffset now) =>
        $"deliveries-{now.ToUniversalTime().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}.csv";

    /// <summary>Writes the header, then each page's rows, flushing after every page so the client sees progress.</summary>
    public static async Task WriteAsync(IAsyncEnumerable<IReadOnlyList<DeliveryView>> pages, Stream output, CancellationToken cancellationToken)
    {
        // Asynchronous all the way down: Kestrel refuses synchronous writes to a response body.
        await using var text = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024, leaveOpen: true);
        await using var csv = new CsvWriter(text, CsvOptions);
        foreach (var column in Columns)
        {
            csv.WriteField(column);
        }
        await csv.NextRecordAsync();
        await foreach (var page in pages.WithCancellation(cancellationToken))
        {
            foreach (var d in page)
            {
                csv.WriteField(d.Id.ToString());
                csv.WriteField(d.UpdateId.ToString());
                csv.WriteField(d.IncidentId.ToString());
                csv.WriteField(d.SubscriberId.ToString());
                csv.WriteField(d.Channel.ToWire());
                csv.WriteField(Neutralize(d.Recipient));
                csv.WriteField(d.Status.ToWire());
                csv.WriteField(Neutralize(d.Provider));
                csv.WriteField(Neutralize(d.ProviderMessageId));
                csv.WriteField(d.Attempts.ToString(CultureInfo.InvariantCulture));
                csv.WriteField(Neutralize(d.LastError));
                csv.WriteField(Time(d.CreatedAt));
                csv.WriteField(Time(d.SentAt));
                csv.WriteField(Time(d.DeliveredAt));
                csv.WriteField(d.Kind.ToWire());
                await csv.NextRecordAsync();
            }
            await csv.FlushAsync();
        }
    }

    /// <summary>
    /// Keeps a spreadsheet from running a cell as a formula (CSV injection): a cell starting with
    /// <c>=</c>, <c>@</c>, tab or carriage return gets a leading apostrophe, and so does one starting
    /// with <c>+</c> or <c>-</c> unless the whole cell is a sign and digits, as in the phone number
    /// <c>+15551234567</c>: a spreadsheet reads that as a number, never a formula. Stricter than
    /// "sign then non-digit", which would let <c>+1+cmd|…</c> through.
    /// </summary>
    public static string Neutralize(string? cell)
    {
        if (string.IsNullOrEmpty(cell))
        {
            return "";
        }
        var dangerous = cell[0] switch
        {
            '=' or '@' or '\t' or '\r' => true,
            '+' or '-' => cell.Length == 1 || cell.AsSpan(1).ContainsAnyExceptInRange('0', '9'),
            _ => false,
        };
        return dangerous ? "'" + cell : cell;
    }

    /// <summary>Exactly as System.Text.Json writes a DateTimeOffset, so CSV and JSON cells compare equal.</summary>
    private static string Time(DateTimeOffset? at) =>
        at?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture) ?? "";
}
