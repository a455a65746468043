using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.Contracts;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Subscribers;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.IntegrationTests.Messaging;

/// <summary><c>RabbitMq:QueueType=quorum</c> on the real broker: what CommsHub declares, and that a fan-out still reaches everyone once.</summary>
public sealed class QuorumQueueTests : IAsyncLifetime
{
    private readonly SendGridFake _sendGrid = new();
    private Infrastructure _infra = null!;

    public async Task InitializeAsync() => _infra = await Infrastructure.CreateAsync();

    public async Task DisposeAsync()
    {
        _sendGrid.Dispose();
        await _infra.DisposeAsync();
    }

    [Fact]
    public async Task With_quorum_every_durable_queue_is_quorum_and_an_update_reaches_each_subscriber_once()
    {
        var settings = _infra.Settings();
        settings["RabbitMq:QueueType"] = "quorum";
        settings["Channels:Email:SendGrid:ApiKey"] = "SG.integration";
        settings["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url;
        settings["Channels:Email:From"] = "Acme Status <status@acme.example>";
        await using var app = new CommsHubApp(settings);
        _ = app.Server;
        using var admin = app.Admin();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
            db.Subscribers.AddRange(Enumerable.Range(0, 1200).Select(i => new Subscriber
            {
                Channel = Channel.Email,
                Address = $"q{i:D4}@example.com",
                Status = SubscriberStatus.Confirmed,
                CreatedAt = DateTimeOffset.UtcNow,
            }));
            await db.SaveChangesAsync();
        }

        var incident = await admin.PostAsync("/api/incidents", new { title = "Checkout errors", message = "Payments are failing.", impact = "major" });
        var updateId = Guid.Parse(incident["updates"]![0]!["id"]!.GetValue<string>());
        await Eventually.HoldsAsync(async () =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
            return await db.Deliveries.CountAsync(d => d.UpdateId == updateId && d.Status == DeliveryStatus.Sent) == 1200;
        }, "1,200 deliveries are sent", TimeSpan.FromSeconds(90));

        var recipients = _sendGrid.Requests.SelectMany(r => r.Recipients).ToList();
        Assert.Equal(1200, recipients.Count);
        Assert.Equal(1200, recipients.Distinct().Count());

        var queues = await QueuesAsync(_infra.VirtualHost);
        var durable = queues.Where(q => q.Durable).ToList();
        var all = string.Join("; ", queues);
        // The planner, the email sender and the bus-fault listener at least; every one of them quorum.
        Assert.Contains(durable, q => q.Name == "audience-planner");
        Assert.Contains(durable, q => q.Name == "send-email-batch");
        Assert.All(durable, q => Assert.True(q.Type == "quorum", $"{q.Name} is {q.Type}"));
        // Per-process queues (the status page refresher's, the bus's own) stay classic and go with their process.
        var temporary = queues.Where(q => !q.Durable).ToList();
        Assert.True(temporary.Any(q => q.Name.StartsWith("status-page-refresher", StringComparison.Ordinal)), all);
        Assert.All(temporary, q => Assert.True(q.Type == "classic" && (q.AutoDelete || q.Exclusive || q.Expires), $"{q.Name}: {q.Type}"));
    }

    private sealed record Queue(string Name, string Type, bool Durable, bool AutoDelete, bool Exclusive, bool Expires);

    private static async Task<List<Queue>> QueuesAsync(string vhost)
    {
        var rabbit = new Uri(Environment.GetEnvironmentVariable("COMMSHUB_TEST_RABBITMQ")!);
        using var management = new HttpClient { BaseAddress = new Uri(Environment.GetEnvironmentVariable("COMMSHUB_TEST_RABBITMQ_MANAGEMENT")!) };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(rabbit.UserInfo))));
        var json = await management.GetFromJsonAsync<JsonArray>($"/api/queues/{Uri.EscapeDataString(vhost)}") ?? [];
        return [.. json.Select(q => new Queue(q!["name"]!.GetValue<string>(), q["type"]?.GetValue<string>() ?? "classic",
            q["durable"]!.GetValue<bool>(), q["auto_delete"]!.GetValue<bool>(), q["exclusive"]?.GetValue<bool>() ?? false,
            q["arguments"]?["x-expires"] is not null))];
    }
}
