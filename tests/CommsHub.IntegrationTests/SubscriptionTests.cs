using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace CommsHub.IntegrationTests;

/// <summary>The subscription flows on PostgreSQL + RabbitMQ with the real SendGrid and Twilio SDKs against fakes.</summary>
public sealed partial class SubscriptionTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly SendGridFake _sendGrid = new();
    private readonly TwilioFake _twilio = new();
    private Infrastructure _infra = null!;
    private CommsHubApp _app = null!;

    public async Task InitializeAsync()
    {
        _infra = await Infrastructure.CreateAsync();
        var settings = _infra.Settings();
        settings["Channels:Email:SendGrid:ApiKey"] = "SG.integration";
        settings["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url;
        settings["Channels:Email:From"] = "status@acme.example";
        settings["Channels:Sms:Twilio:AccountSid"] = TwilioFake.AccountSid;
        settings["Channels:Sms:Twilio:AuthToken"] = TwilioFake.AuthToken;
        settings["Channels:Sms:Twilio:BaseUrl"] = _twilio.Url;
        settings["Channels:Sms:From"] = "+15005550006";
        _app = new CommsHubApp(settings);
        _ = _app.Server;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _sendGrid.Dispose();
        _twilio.Dispose();
        await _infra.DisposeAsync();
    }

    [GeneratedRegex(@"https://status\.test(/subscriptions/confirm\?token=[^\s""<]+)")]
    private static partial Regex ConfirmLink();

    private async Task<SubscriberStatus> StatusAsync(string address)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CommsHubDbContext>().Subscribers
            .Where(s => s.Address == address).Select(s => s.Status).SingleAsync();
    }

    [Fact]
    public async Task Email_and_SMS_double_opt_in_round_trips()
    {
        using var anonymous = _app.CreateClient();
        await anonymous.PostAsync("/api/public/subscriptions", new { email = "viewer@example.com" }, HttpStatusCode.Accepted);
        await anonymous.PostAsync("/api/public/subscriptions", new { phone = "+1 202 555 0173" }, HttpStatusCode.Accepted);

        await Eventually.HoldsAsync(() => Task.FromResult(_sendGrid.Requests.Count == 1 && _twilio.Requests.Count == 1), "both confirmations are sent");
        var link = ConfirmLink().Match(_sendGrid.Requests.Single().Content("text/plain")!).Groups[1].Value;
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(link)).StatusCode);
        Assert.Equal(SubscriberStatus.Confirmed, await StatusAsync("viewer@example.com"));

        var parameters = new Dictionary<string, string> { ["MessageSid"] = "SM" + new string('a', 32), ["From"] = "+12025550173", ["Body"] = "YES" };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/twilio/sms") { Content = new FormUrlEncodedContent(parameters) };
        request.Headers.Add("X-Twilio-Signature", TwilioSignature.Compute(TwilioFake.AuthToken, "https://status.test/webhooks/twilio/sms", parameters));
        Assert.Equal(HttpStatusCode.OK, (await anonymous.SendAsync(request)).StatusCode);
        Assert.Equal(SubscriberStatus.Confirmed, await StatusAsync("+12025550173"));
    }

    [Fact]
    public async Task A_hundred_thousand_row_import_lands_whole_and_a_rerun_changes_nothing()
    {
        const int rows = 100_000;
        var csv = new StringBuilder("email,phone\n");
        for (var i = 0; i < rows; i++)
        {
            csv.Append(i % 10 == 0 ? $",+1202555{i % 10_000:D4}\n" : $"user{i:D6}@example.com,\n");
        }
        csv.Append("broken-address,\n");
        using var admin = _app.Admin();
        admin.Timeout = TimeSpan.FromMinutes(5);

        var stopwatch = Stopwatch.StartNew();
        using var response = await admin.PostAsync("/api/subscribers/import", new StringContent(csv.ToString(), Encoding.UTF8, "text/csv"));
        var first = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        output.WriteLine($"import of {rows:N0} rows: {stopwatch.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // 10,000 phone rows repeat 1,000 distinct numbers: the last line of each wins.
        Assert.Equal(90_000 + 1_000, first["imported"]!.GetValue<int>());
        Assert.Equal(rows + 2, first["rejected"]![0]!["line"]!.GetValue<int>());

        stopwatch.Restart();
        using var again = await admin.PostAsync("/api/subscribers/import", new StringContent(csv.ToString(), Encoding.UTF8, "text/csv"));
        var second = JsonNode.Parse(await again.Content.ReadAsStringAsync())!;
        output.WriteLine($"re-import: {stopwatch.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(0, second["imported"]!.GetValue<int>());
        Assert.Equal(91_000, second["unchanged"]!.GetValue<int>());

        await using var scope = _app.Services.CreateAsyncScope();
        Assert.Equal(91_000, await scope.ServiceProvider.GetRequiredService<CommsHubDbContext>().Subscribers.CountAsync(s => s.Status == SubscriberStatus.Confirmed));
    }
}
