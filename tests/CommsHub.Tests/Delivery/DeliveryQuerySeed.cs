using System.Globalization;
using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CsvHelper;
using CsvHelper.Configuration;
using DeliveryRow = CommsHub.Core.Deliveries.Delivery;

namespace CommsHub.Tests.Delivery;

/// <summary>Deliveries written straight to the database, so a test controls every field and time.</summary>
internal static class DeliveryQuerySeed
{
    /// <summary>A whole second in UTC: SQLite keeps times to 100 µs, so seeded and read values compare equal.</summary>
    public static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    public static DeliveryRow Make(int minute, Guid? updateId = null, Channel channel = Channel.Email,
        DeliveryStatus status = DeliveryStatus.Sent, string? recipient = null, string? lastError = null, Guid? incidentId = null) => new()
    {
        // The id carries the creation time, as in the product, so id order is time order here too
        // (Guid.CreateVersion7() alone does not order ids made within the same millisecond).
        Id = Guid.CreateVersion7(T0.AddMinutes(minute)),
        UpdateId = updateId ?? Guid.CreateVersion7(),
        IncidentId = incidentId ?? Guid.CreateVersion7(),
        SubscriberId = Guid.CreateVersion7(),
        Channel = channel,
        Recipient = recipient ?? $"user{minute}@example.com",
        Status = status,
        Provider = status == DeliveryStatus.Queued ? null : "sendgrid",
        ProviderMessageId = status == DeliveryStatus.Queued ? null : $"msg-{minute}",
        Attempts = status == DeliveryStatus.Queued ? 0 : 1,
        LastError = lastError,
        CreatedAt = T0.AddMinutes(minute),
        SentAt = status is DeliveryStatus.Sent or DeliveryStatus.Delivered ? T0.AddMinutes(minute).AddSeconds(3) : null,
        DeliveredAt = status == DeliveryStatus.Delivered ? T0.AddMinutes(minute).AddSeconds(9) : null,
    };

    /// <summary>A JSON value as the CSV spells it: null is an empty cell, everything else its text.</summary>
    public static string Cell(JsonNode? value) => value is null ? "" : value.GetValueKind() == System.Text.Json.JsonValueKind.String
        ? value.GetValue<string>()
        : value.ToJsonString();

    /// <summary>Parses an export with CsvHelper: the header row, then each row keyed by column.</summary>
    public static (string[] Header, List<Dictionary<string, string>> Rows) ParseCsv(string csv)
    {
        using var reader = new CsvReader(new StringReader(csv), new CsvConfiguration(CultureInfo.InvariantCulture));
        Assert.True(reader.Read() && reader.ReadHeader(), "the export has a header row");
        var header = reader.HeaderRecord!;
        var rows = new List<Dictionary<string, string>>();
        while (reader.Read())
        {
            rows.Add(header.ToDictionary(h => h, h => reader.GetField(h)!));
        }
        return (header, rows);
    }
}
