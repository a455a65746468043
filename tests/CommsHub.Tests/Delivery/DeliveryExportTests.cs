using System.Net;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.Extensions.DependencyInjection;
using static CommsHub.Tests.Delivery.DeliveryQuerySeed;
using DeliveryRow = CommsHub.Core.Deliveries.Delivery;

namespace CommsHub.Tests.Delivery;

/// <summary>GET /api/deliveries/export.csv: the list's rows as CSV, streamed.</summary>
public sealed class DeliveryExportTests : SqliteAppTest
{
    private async Task SeedAsync(params DeliveryRow[] rows) =>
        await WithDbAsync(db =>
        {
            db.Deliveries.AddRange(rows);
            return db.SaveChangesAsync();
        });

    private async Task<string> ExportAsync(string query)
    {
        using var response = await Admin.GetAsync($"/api/deliveries/export.csv?{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"export answered {(int)response.StatusCode}: {body}");
        Assert.Equal("text/csv; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Matches("""^attachment; filename="deliveries-\d{8}T\d{6}Z\.csv"$""", response.Content.Headers.GetValues("Content-Disposition").Single());
        return body;
    }

    [Fact]
    public async Task The_export_holds_exactly_the_rows_and_values_the_list_returns()
    {
        var update = Guid.CreateVersion7();
        // No queued rows: the product's redrive would pick them up and change them between the two reads.
        var statuses = new[] { DeliveryStatus.Bounced, DeliveryStatus.Sent, DeliveryStatus.Delivered, DeliveryStatus.Failed, DeliveryStatus.Sandboxed };
        var rows = Enumerable.Range(0, 40).Select(i => Make(i, updateId: i % 4 == 0 ? null : update,
            channel: i % 3 == 0 ? Channel.Sms : Channel.Email, status: statuses[i % statuses.Length],
            recipient: i % 3 == 0 ? $"+1555000{i:D4}" : null, lastError: i % 5 == 3 ? "550 mailbox unavailable" : null)).ToArray();
        await SeedAsync(rows);

        foreach (var query in new[] { $"updateId={update}&from=2026-05-01T12:05:00Z&to=2026-05-01T12:35:00Z", "channel=sms", "status=sandboxed", "" })
        {
            var expected = await Admin.AllDeliveriesAsync(query);
            var (header, csv) = ParseCsv(await ExportAsync(query));

            Assert.Equal(
                ["id", "updateId", "incidentId", "subscriberId", "channel", "recipient", "status", "provider", "providerMessageId",
                 "attempts", "lastError", "createdAt", "sentAt", "deliveredAt", "kind"], header);
            Assert.NotEmpty(expected);
            Assert.Equal(expected.Count, csv.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                foreach (var column in header)
                {
                    Assert.Equal(Cell(expected[i][column]), csv[i][column]);
                }
            }
        }
    }

    [Fact]
    public async Task A_filter_that_matches_nothing_exports_only_the_header()
    {
        await SeedAsync(Make(0));
        var body = await ExportAsync("status=bounced");
        Assert.Equal(
            "id,updateId,incidentId,subscriberId,channel,recipient,status,provider,providerMessageId,attempts,lastError,createdAt,sentAt,deliveredAt,kind\r\n",
            body);
    }

    [Fact]
    public async Task An_error_with_commas_quotes_and_newlines_survives_the_round_trip()
    {
        const string error = "550 \"mailbox full\", try later\nsecond line\r\nthird, \"quoted\"";
        var row = Make(0, status: DeliveryStatus.Failed, lastError: error);
        await SeedAsync(row);

        var body = await ExportAsync("");
        var (_, csv) = ParseCsv(body);

        Assert.Equal(error, Assert.Single(csv)["lastError"]);
        Assert.Contains("\"550 \"\"mailbox full\"\", try later\nsecond line\r\nthird, \"\"quoted\"\"\"", body);
    }

    [Fact]
    public async Task Cells_a_spreadsheet_would_run_get_an_apostrophe_but_phone_numbers_stay_as_they_are()
    {
        await SeedAsync(
            Make(0, channel: Channel.Sms, recipient: "+15551234567", lastError: "=HYPERLINK(\"https://evil.example\",\"click\")"),
            Make(1, recipient: "@sum@example.com", lastError: "-2+3+cmd|' /C calc'!A0"));

        var (_, csv) = ParseCsv(await ExportAsync(""));

        Assert.Equal("+15551234567", csv[0]["recipient"]);
        Assert.Equal("'=HYPERLINK(\"https://evil.example\",\"click\")", csv[0]["lastError"]);
        Assert.Equal("'@sum@example.com", csv[1]["recipient"]);
        Assert.Equal("'-2+3+cmd|' /C calc'!A0", csv[1]["lastError"]);
    }

    [Theory]
    [InlineData("+15551234567", "+15551234567")]
    [InlineData("-42", "-42")]
    [InlineData("ann@example.com", "ann@example.com")]
    [InlineData("timeout after 30 s", "timeout after 30 s")]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0")]
    [InlineData("-cmd", "'-cmd")]
    [InlineData("+", "'+")]
    [InlineData("\tx", "'\tx")]
    [InlineData("\rx", "'\rx")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Neutralize_escapes_only_what_a_spreadsheet_would_evaluate(string? cell, string expected) =>
        Assert.Equal(expected, DeliveryExport.Neutralize(cell));

    [Fact]
    public async Task Pages_cover_every_matching_row_once_in_id_order()
    {
        var rows = Enumerable.Range(0, 23).Select(i => Make(i, channel: i % 2 == 0 ? Channel.Email : Channel.Sms)).ToArray();
        await SeedAsync(rows);

        await using var scope = App.Services.CreateAsyncScope();
        var queries = scope.ServiceProvider.GetRequiredService<DeliveryQueries>();
        var pages = new List<IReadOnlyList<DeliveryView>>();
        // Cursor and Limit belong to the list: the export reads everything regardless.
        await foreach (var page in queries.PagesAsync(new DeliveryFilter(Channel: Channel.Email, Cursor: rows[^1].Id, Limit: 1), pageSize: 5))
        {
            pages.Add(page);
        }

        Assert.Equal([5, 5, 2], pages.Select(p => p.Count));
        Assert.Equal(rows.Where(r => r.Channel == Channel.Email).Select(r => r.Id), pages.SelectMany(p => p).Select(d => d.Id));
    }
}
