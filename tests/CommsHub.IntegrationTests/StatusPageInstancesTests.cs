using System.Diagnostics;
using CommsHub.Testing;

namespace CommsHub.IntegrationTests;

/// <summary>Every API process serves its own snapshot; a change made through one reaches the others through the bus.</summary>
public sealed class StatusPageInstancesTests : IAsyncLifetime
{
    private Infrastructure _infra = null!;

    public async Task InitializeAsync() => _infra = await Infrastructure.CreateAsync();

    public Task DisposeAsync() => _infra.DisposeAsync().AsTask();

    [Fact]
    public async Task An_update_published_through_one_api_process_shows_on_another_within_seconds()
    {
        var settings = _infra.Settings();
        settings["Roles"] = "api";
        await using var first = new CommsHubApp(settings);
        await using var second = new CommsHubApp(settings);
        _ = first.Server;
        _ = second.Server;
        using var admin = first.Admin();
        using var reader = second.CreateClient();
        Assert.DoesNotContain("Transcoding backlog", await reader.GetStringAsync("/"));

        var stopwatch = Stopwatch.StartNew();
        await admin.PostAsync("/api/incidents", new { title = "Transcoding backlog", message = "New uploads are delayed.", impact = "minor" });
        // Well inside the 30-second periodic refresh: only the bus can have told the second process.
        await Eventually.HoldsAsync(async () => (await reader.GetStringAsync("/")).Contains("Transcoding backlog", StringComparison.Ordinal),
            "the second process shows the incident", TimeSpan.FromSeconds(10));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10));
        Assert.Contains("Transcoding backlog", await reader.GetStringAsync("/api/v2/incidents/unresolved.json"));
    }
}
