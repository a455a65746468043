using System.Net;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using static CommsHub.Tests.Delivery.DeliveryQuerySeed;

namespace CommsHub.Tests.Delivery;

/// <summary>GET /api/deliveries with a time range, and GET /api/deliveries/{id} with its attempts.</summary>
public sealed class DeliveryQueryTests : SqliteAppTest
{
    private static string At(int minute) => Uri.EscapeDataString(T0.AddMinutes(minute).ToString("O"));

    private async Task<List<Guid>> SeedMinutesAsync(int count)
    {
        var rows = Enumerable.Range(0, count).Select(i => Make(i)).ToList();
        await WithDbAsync(db =>
        {
            db.Deliveries.AddRange(rows);
            return db.SaveChangesAsync();
        });
        return rows.Select(r => r.Id).ToList();
    }

    [Fact]
    public async Task The_time_range_includes_from_excludes_to_and_pages_in_id_order()
    {
        var ids = await SeedMinutesAsync(10);

        var pages = new List<List<string>>();
        string? cursor = null;
        do
        {
            var page = await Admin.GetJsonAsync($"/api/deliveries?from={At(2)}&to={At(7)}&limit=2" + (cursor is null ? "" : $"&cursor={cursor}"));
            pages.Add(page["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()).ToList());
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(ids[2..7].Select(i => i.ToString()), pages.SelectMany(p => p));
    }

    [Fact]
    public async Task An_open_ended_range_and_an_offset_are_read_as_the_instants_they_name()
    {
        await SeedMinutesAsync(10);

        Assert.Equal(3, (await Admin.AllDeliveriesAsync($"from={At(7)}")).Count);
        Assert.Equal(7, (await Admin.AllDeliveriesAsync($"to={At(7)}")).Count);
        // 14:05+02:00 is 12:05Z; the second form is what arrives when a client leaves '+' unencoded.
        Assert.Equal(5, (await Admin.AllDeliveriesAsync("from=2026-05-01T14:05:00%2B02:00")).Count);
        Assert.Equal(5, (await Admin.AllDeliveriesAsync("from=2026-05-01T14:05:00+02:00")).Count);
        Assert.Equal(10, (await Admin.AllDeliveriesAsync("from=2026-05-01&to=2026-05-02")).Count);
    }

    [Theory]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=1%2F5%2F2026", "to")]
    [InlineData("from=2026-05-01T12:00:00Z&to=2026-05-01T12:00:00Z", "to")]
    [InlineData("from=2026-05-02&to=2026-05-01", "to")]
    [InlineData("kind=newsletter", "kind")]
    public async Task A_bad_time_range_is_a_field_error_on_the_list_and_the_export(string query, string field)
    {
        foreach (var path in new[] { "/api/deliveries", "/api/deliveries/export.csv" })
        {
            using var response = await Admin.GetAsync($"{path}?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Null(response.Content.Headers.ContentDisposition);
            var problem = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.NotNull(problem["errors"]![field]);
        }
    }

    [Fact]
    public async Task A_delivery_reads_with_its_attempts_in_order()
    {
        var delivery = Make(0, status: DeliveryStatus.Delivered, lastError: null);
        await WithDbAsync(db =>
        {
            db.Deliveries.Add(delivery);
            // Out of order on purpose: the answer orders by number, not by insertion.
            db.DeliveryAttempts.AddRange(
                new DeliveryAttempt
                {
                    UpdateId = delivery.UpdateId, Channel = delivery.Channel, Batch = delivery.Batch, DeliveryIds = [delivery.Id], Number = 2, At = T0.AddMinutes(5), Provider = "sendgrid", Outcome = DeliveryStatus.Sent,
                    HttpStatus = 202, ProviderMessageId = "msg-0", LatencyMs = 180,
                },
                new DeliveryAttempt
                {
                    UpdateId = delivery.UpdateId, Channel = delivery.Channel, Batch = delivery.Batch, DeliveryIds = [Guid.CreateVersion7(), delivery.Id], Number = 1, At = T0.AddMinutes(1), Provider = "sendgrid", Outcome = DeliveryStatus.Queued,
                    HttpStatus = 503, ErrorCode = "http_503", Error = "Service Unavailable", LatencyMs = 2500,
                },
                // Another delivery's, in the same batch and in another one: not this delivery's.
                new DeliveryAttempt
                {
                    UpdateId = delivery.UpdateId, Channel = delivery.Channel, Batch = delivery.Batch, DeliveryIds = [Guid.CreateVersion7()], Number = 1,
                    At = T0, Provider = "twilio", Outcome = DeliveryStatus.Failed,
                },
                new DeliveryAttempt
                {
                    UpdateId = delivery.UpdateId, Channel = delivery.Channel, Batch = delivery.Batch + 1, DeliveryIds = [delivery.Id], Number = 3,
                    At = T0, Provider = "twilio", Outcome = DeliveryStatus.Failed,
                });
            return db.SaveChangesAsync();
        });

        var json = await Admin.GetJsonAsync($"/api/deliveries/{delivery.Id}");

        Assert.Equal(delivery.Id.ToString(), json["id"]!.GetValue<string>());
        Assert.Equal("delivered", json["status"]!.GetValue<string>());
        Assert.Equal("user0@example.com", json["recipient"]!.GetValue<string>());
        Assert.Equal(1, json["attempts"]!.GetValue<int>());
        Assert.Equal(T0.AddSeconds(9), json["deliveredAt"]!.GetValue<DateTimeOffset>());
        var attempts = json["attemptLog"]!.AsArray();
        Assert.Equal([1, 2], attempts.Select(a => a!["number"]!.GetValue<int>()));
        var first = attempts[0]!;
        Assert.Equal(T0.AddMinutes(1), first["at"]!.GetValue<DateTimeOffset>());
        Assert.Equal("sendgrid", first["provider"]!.GetValue<string>());
        Assert.Equal("queued", first["outcome"]!.GetValue<string>());
        Assert.Equal(503, first["httpStatus"]!.GetValue<int>());
        Assert.Equal("http_503", first["errorCode"]!.GetValue<string>());
        Assert.Equal("Service Unavailable", first["error"]!.GetValue<string>());
        Assert.Null(first["providerMessageId"]);
        Assert.Equal(2500, first["latencyMs"]!.GetValue<int>());
        Assert.Equal("sent", attempts[1]!["outcome"]!.GetValue<string>());
        Assert.Equal("msg-0", attempts[1]!["providerMessageId"]!.GetValue<string>());
        Assert.Null(attempts[1]!["error"]);
    }

    [Fact]
    public async Task A_delivery_without_recorded_attempts_has_an_empty_log()
    {
        var ids = await SeedMinutesAsync(1);
        var json = await Admin.GetJsonAsync($"/api/deliveries/{ids[0]}");
        Assert.Empty(json["attemptLog"]!.AsArray());
        Assert.Equal(1, json["attempts"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_unknown_delivery_is_404()
    {
        await SeedMinutesAsync(1);
        await Admin.GetJsonAsync($"/api/deliveries/{Guid.CreateVersion7()}", HttpStatusCode.NotFound);
    }
}
