using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace CommsHub.FaultTests;

/// <summary>
/// A provider accepts a request while the database is away (a restart, a failover, a cut connection):
/// the sender holds on to the answer and records it when the database is back, instead of dropping it
/// and sending the request again once its claim lapses — a duplicate for every recipient of it.
/// The product reaches its database through a proxy, which is cut while the provider takes its time to answer.
/// </summary>
public sealed class UnrecordedAnswerTests(ITestOutputHelper output) : IDisposable
{
    private const int Recipients = 3;
    private static readonly TimeSpan ProviderThinks = TimeSpan.FromSeconds(2);

    private readonly SendGridFake _sendGrid = new();
    private readonly TwilioFake _twilio = new();
    private readonly ProviderWebhookTarget _webhooks = new();

    [Theory]
    [InlineData(Channel.Email)] // one request for the batch
    [InlineData(Channel.Sms)] // one request per recipient, recorded in groups
    [InlineData(Channel.Webhook)]
    public async Task An_answer_that_comes_while_the_database_is_away_is_recorded_when_it_is_back_and_never_sent_again(Channel channel)
    {
        await using var hub = await ProviderFaultHarness.StartAsync(_sendGrid, _twilio, new()
        {
            // Short, so that an answer dropped on the floor would be sent again well within the wait below.
            ["Deliveries:LeaseDuration"] = "00:00:15",
        }, proxiedDatabase: true);
        for (var i = 1; i <= Recipients; i++)
        {
            object subscriber = channel switch
            {
                Channel.Email => new { email = $"reader{i}@example.com", confirmed = true },
                Channel.Sms => new { phone = $"+1202555010{i}", confirmed = true },
                _ => new { webhookUrl = $"{_webhooks.Url}/hook{i}", confirmed = true },
            };
            await hub.Admin.PostAsync("/api/subscribers", subscriber);
        }
        _sendGrid.DelayFor = _ => ProviderThinks;
        _twilio.DelayFor = _ => ProviderThinks;
        _webhooks.Answer = (_, _) => (200, null, ProviderThinks);
        var requests = channel == Channel.Email ? 1 : Recipients;
        Func<int> arrived = channel switch
        {
            Channel.Email => () => _sendGrid.Arrivals.Count,
            Channel.Sms => () => _twilio.Arrivals.Count,
            _ => () => _webhooks.Arrivals.Count,
        };
        Func<int> answered = channel switch
        {
            Channel.Email => () => _sendGrid.Requests.Count,
            Channel.Sms => () => _twilio.Requests.Count(r => r.Status == 201),
            _ => () => _webhooks.Server.LogEntries.Count,
        };

        var updateId = await hub.PublishAsync("Checkout is slow");
        await Eventually.HoldsAsync(() => Task.FromResult(arrived() >= 1), "the first request reached the provider", TimeSpan.FromSeconds(30));
        hub.DatabaseProxy.Refuse();
        // At least one answer in hand (a sender paced one request at a time waits for its record before the next).
        await Eventually.HoldsAsync(() => Task.FromResult(answered() >= 1), "the provider answered", TimeSpan.FromSeconds(30));
        // The sender met the closed database with the answers in hand, and said so.
        await Eventually.HoldsAsync(() => Task.FromResult(hub.Logs.Matching("Could not record provider answers").Count > 0),
            "the sender tried to record while the database was away", TimeSpan.FromSeconds(30));
        hub.DatabaseProxy.Forward();

        await hub.UntilAsync(all => all.Count(d => d.UpdateId == updateId && d.Channel == channel) == Recipients
                && all.Where(d => d.UpdateId == updateId && d.Channel == channel).All(d => d.Status == DeliveryStatus.Sent && d.LeaseToken == null),
            "every delivery recorded as sent once the database is back", seconds: 40);
        var deliveries = (await hub.DeliveriesAsync(updateId, channel)).ToList();
        foreach (var delivery in deliveries)
        {
            var attempts = await hub.AttemptsAsync(delivery.Id);
            Assert.Single(attempts);
        }
        // Not sent again, and never in doubt: the answer itself was recorded, not found again later.
        Assert.Equal(requests, arrived());
        await using (var scope = hub.App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
            Assert.Equal(0, await db.AuditEntries.CountAsync(a => a.Action == "delivery.in_doubt"));
        }
        output.WriteLine($"{channel}: {requests} request(s), recorded after {hub.Logs.Matching("Could not record provider answers").Count} refused tries");
    }

    public void Dispose()
    {
        _sendGrid.Dispose();
        _twilio.Dispose();
        _webhooks.Dispose();
    }
}
