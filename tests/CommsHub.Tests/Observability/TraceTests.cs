using System.Diagnostics;
using CommsHub.Contracts;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Telemetry;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace CommsHub.Tests.Observability;

/// <summary>One trace from the publishing request to the provider, across the outbox's commit and the bus.</summary>
[Collection(BusTelemetryCollection.Name)]
public sealed class TraceTests : SqliteAppTest, IDisposable
{
    private readonly SendGridFake _sendGrid = new();
    private readonly List<Activity> _spans = [];

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Email:SendGrid:ApiKey"] = "SG.test-key",
        ["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url,
        ["Channels:Email:From"] = "status@acme.example",
        ["Channels:Email:BatchSize"] = "2",
    };

    protected override void ConfigureServices(IServiceCollection services) =>
        services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(_spans));

    public void Dispose() => _sendGrid.Dispose();

    private List<Activity> Spans()
    {
        lock (_spans)
        {
            return [.. _spans];
        }
    }

    [Fact]
    public async Task A_publish_is_one_trace_from_the_request_through_outbox_bus_planner_and_every_batch_to_the_provider()
    {
        for (var i = 0; i < 3; i++)
        {
            await Admin.SubscribeAsync($"user{i}@example.com");
        }
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Playback outage", message = "We are investigating." });
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();
        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"updateId={updateId}&status=sent")).Count == 3, "all 3 are sent");

        // Two batches of at most two recipients: two SendGrid requests, each under its own send batch's consume span.
        List<Activity> trace = [];
        await Eventually.HoldsAsync(() =>
        {
            var request = Spans().FirstOrDefault(s => s.Kind == ActivityKind.Server && s.DisplayName.StartsWith("POST /api/incidents", StringComparison.Ordinal));
            trace = request is null ? [] : [.. Spans().Where(s => s.TraceId == request.TraceId)];
            return Task.FromResult(trace.Count(s => s.Source.Name == CommsHubMetrics.Name && s.DisplayName == "sendgrid request") == 2
                                   && trace.Count(IsProviderHttpCall) == 2);
        }, "the trace reaches both SendGrid requests", TimeSpan.FromSeconds(15));

        var byId = trace.ToDictionary(s => s.SpanId);
        var root = Assert.Single(trace, s => s.ParentSpanId == default || !byId.ContainsKey(s.ParentSpanId));
        Assert.Equal(ActivityKind.Server, root.Kind);

        var outbox = Assert.Single(trace, s => s.DisplayName == "outbox publish");
        var planner = Assert.Single(trace, s => Consumes(s, typeof(AudiencePlanner)));
        var batches = trace.Where(s => Consumes(s, typeof(SendConsumer<SendEmailBatch, EmailAdapter>))).ToList();
        Assert.Equal(2, batches.Count);
        Assert.True(Descends(outbox, root, byId), Describe(trace));
        Assert.True(Descends(planner, outbox, byId), Describe(trace));
        foreach (var provider in trace.Where(IsProviderHttpCall))
        {
            var owner = batches.SingleOrDefault(b => Descends(provider, b, byId));
            Assert.True(owner is not null && Descends(owner, planner, byId), Describe(trace));
            Assert.Contains(trace, s => s.DisplayName == "sendgrid request" && Descends(provider, s, byId));
        }
    }

    private static bool IsProviderHttpCall(Activity s) =>
        s.Kind == ActivityKind.Client && s.Source.Name == "System.Net.Http" && s.GetTagItem("url.full") is string url
        && url.EndsWith("/v3/mail/send", StringComparison.Ordinal);

    // MassTransit's "process" span names the consumer that handled the message.
    private static bool Consumes(Activity s, Type consumer) =>
        s.Kind == ActivityKind.Consumer && s.GetTagItem("messaging.masstransit.consumer_type") is string type
        && type.StartsWith(consumer.FullName!.Split('`')[0], StringComparison.Ordinal);

    private static bool Descends(Activity span, Activity ancestor, Dictionary<ActivitySpanId, Activity> byId)
    {
        for (var current = span; current is not null; current = byId.GetValueOrDefault(current.ParentSpanId))
        {
            if (current.SpanId == ancestor.SpanId)
            {
                return true;
            }
        }
        return false;
    }

    private static string Describe(IEnumerable<Activity> spans) =>
        string.Join('\n', spans.OrderBy(s => s.StartTimeUtc).Select(s => $"{s.SpanId} <- {s.ParentSpanId} {s.Kind} [{s.Source.Name}] {s.DisplayName}"));
}
