using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CommsHub.Core.Common;
using CommsHub.Core.Subscribers;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Subscribers.Abuse;

/// <summary>
/// SMS pumping as an attacker tries it: premium-rate and foreign numbers, then a flood of ordinary
/// ones, through the real Twilio SDK against a loopback Twilio. Each refusal must leave no subscriber
/// and no text; a legitimate number subscribed afterwards proves the queue was drained.
/// </summary>
public sealed class SmsPumpingTests : SqliteAppTest, IDisposable
{
    private readonly TwilioFake _twilio = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Sms:Twilio:AccountSid"] = TwilioFake.AccountSid,
        ["Channels:Sms:Twilio:AuthToken"] = TwilioFake.AuthToken,
        ["Channels:Sms:Twilio:BaseUrl"] = _twilio.Url,
        ["Channels:Sms:From"] = "+15005550006",
        ["Subscriptions:RateLimitPermits"] = "100",
        ["Subscriptions:Budget:Sms:PerHour"] = "2",
        ["Operators:Emails:0"] = "oncall@acme.example",
    };

    public void Dispose() => _twilio.Dispose();

    private async Task<(HttpStatusCode Status, JsonNode Body, HttpResponseMessage Response)> SubscribeAsync(string phone)
    {
        using var anonymous = App.CreateClient();
        var response = await anonymous.PostAsJsonAsync("/api/public/subscriptions", new { phone });
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text)!, response);
    }

    private async Task LegitimateNumberIsTextedAsync(string e164)
    {
        var (status, _, _) = await SubscribeAsync(e164);
        Assert.Equal(HttpStatusCode.Accepted, status);
        await Eventually.HoldsAsync(() => Task.FromResult(_twilio.Requests.Any(r => r.To == e164)), $"a confirmation text reaches {e164}");
    }

    [Theory]
    [InlineData("+1 900 555 0173", "premium-rate")]
    [InlineData("+44 7400 123456", "GB")] // a UK mobile: outside the sender's country
    [InlineData("+44 870 123 4567", "")] // UK non-geographic (087x): refused by kind or country, either way
    [InlineData("+881 6 12345678", "")] // a satellite network: no country at all
    public async Task A_number_the_public_may_not_subscribe_is_refused_and_never_texted(string phone, string reason)
    {
        var (status, body, _) = await SubscribeAsync(phone);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = body["errors"]!["phone"]![0]!.GetValue<string>();
        Assert.Contains(reason, error);
        Assert.Equal(["phone"], body["errors"]!.AsObject().Select(e => e.Key));
        Assert.Equal(0, await WithDbAsync(db => db.Subscribers.CountAsync()));

        await LegitimateNumberIsTextedAsync("+12025550173");
        Assert.Equal(["+12025550173"], _twilio.Requests.Select(r => r.To));
    }

    [Fact]
    public async Task The_sms_budget_stops_a_flood_of_ordinary_numbers_and_alerts_operators_once()
    {
        await LegitimateNumberIsTextedAsync("+12025550171");
        await LegitimateNumberIsTextedAsync("+12025550172");

        for (var n = 3; n <= 6; n++)
        {
            var (status, body, response) = await SubscribeAsync($"+1202555017{n}");
            Assert.Equal(HttpStatusCode.TooManyRequests, status);
            Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromMinutes(1), "Retry-After names a wait");
            Assert.DoesNotContain("budget", body["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
            response.Dispose();
        }

        Assert.Equal(2, await WithDbAsync(db => db.Subscribers.CountAsync()));
        var alerts = await WithDbAsync(db => db.AuditEntries.Where(e => e.Action == ConfirmationBudget.Exhausted).ToListAsync());
        Assert.Equal("sms:hour", Assert.Single(alerts).Subject);
        var listed = await Admin.GetJsonAsync("/api/alerts");
        Assert.Contains(listed["items"]!.AsArray(), a => a!["action"]!.GetValue<string>() == ConfirmationBudget.Exhausted);

        // Email is another channel, with its own budget.
        using var anonymous = App.CreateClient();
        await anonymous.PostAsync("/api/public/subscriptions", new { email = "reader@example.com" }, HttpStatusCode.Accepted);
        Assert.Equal(["+12025550171", "+12025550172"], _twilio.Requests.Select(r => r.To).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_operator_may_still_add_a_number_from_another_country()
    {
        await Admin.PostAsync("/api/subscribers", new { phone = "+44 7400 123456", confirmed = true });
        Assert.Equal(SubscriberStatus.Confirmed, await WithDbAsync(db => db.Subscribers.Where(s => s.Channel == Channel.Sms).Select(s => s.Status).SingleAsync()));
    }
}

/// <summary>The allowed countries as configured, rather than the sender's.</summary>
public sealed class AllowedCountriesTests : SqliteAppTest
{
    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Sms:From"] = "MG0123456789abcdef0123456789abcdef",
        ["Subscriptions:Sms:AllowedCountries"] = "GB; de",
    };

    [Theory]
    [InlineData("+44 7400 123456", HttpStatusCode.Accepted)]
    [InlineData("+49 1512 3456789", HttpStatusCode.Accepted)]
    [InlineData("+1 202 555 0173", HttpStatusCode.BadRequest)]
    public async Task Only_numbers_from_the_listed_countries_subscribe_themselves(string phone, HttpStatusCode expected)
    {
        using var anonymous = App.CreateClient();
        var body = await anonymous.PostAsync("/api/public/subscriptions", new { phone }, expected);
        if (expected == HttpStatusCode.BadRequest)
        {
            Assert.Contains("DE, GB", body["errors"]!["phone"]![0]!.GetValue<string>());
        }
    }
}
