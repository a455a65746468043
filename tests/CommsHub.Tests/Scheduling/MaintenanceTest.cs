using System.Text.Json.Nodes;
using CommsHub.Testing;

namespace CommsHub.Tests.Scheduling;

/// <summary>One planned maintenance and the ways to look at it.</summary>
public abstract class MaintenanceTest : FakeClockAppTest
{
    protected static readonly DateTimeOffset From = T0.AddHours(2);
    protected static readonly DateTimeOffset Until = T0.AddHours(4);

    protected string Degraded { get; private set; } = "";
    protected string Operational { get; private set; } = "";

    /// <summary>A maintenance of a degraded and an operational component, from T0+2h to T0+4h.</summary>
    protected async Task<Guid> PlanAsync(string[]? reminders = null, bool autoTransition = true)
    {
        Degraded = Id(await Admin.PostAsync("/api/components", new { name = "Streaming", status = "degraded_performance" }));
        Operational = await Admin.CreateComponentAsync("Billing");
        var created = await Admin.PostAsync("/api/maintenances", new
        {
            title = "Database upgrade", message = "Playback will be read-only.", components = new[] { Degraded, Operational },
            scheduledFor = From, scheduledUntil = Until, reminders = reminders ?? ["PT1H"], autoTransition,
        });
        return Guid.Parse(Id(created));
    }

    protected Task<JsonNode> GetAsync(Guid id) => Admin.GetJsonAsync($"/api/maintenances/{id}");

    protected async Task<string> ComponentStatusAsync(string id) => Text((await Admin.GetJsonAsync($"/api/components/{id}"))["status"]);

    protected static List<(string Kind, DateTimeOffset DueAt, string? Lead)> Steps(JsonNode maintenance, Func<JsonNode, bool> which) =>
        maintenance["schedule"]!.AsArray().Where(s => which(s!))
            .Select(s => (Text(s!["kind"]), Time(s["dueAt"]), s["lead"]?.GetValue<string>())).ToList();

    protected static bool Pending(JsonNode step) => step["firedAt"] is null && step["cancelledAt"] is null;
}
