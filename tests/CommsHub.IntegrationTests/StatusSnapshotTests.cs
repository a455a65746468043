using CommsHub.Testing;

namespace CommsHub.IntegrationTests;

/// <summary>The status page's data on PostgreSQL: one snapshot for all the loader's statements.</summary>
public sealed class StatusSnapshotTests : IAsyncLifetime
{
    private Infrastructure _infra = null!;
    private CommsHubApp _app = null!;

    public async Task InitializeAsync()
    {
        _infra = await Infrastructure.CreateAsync();
        var settings = _infra.Settings();
        settings["Roles"] = "api";
        _app = new CommsHubApp(settings);
        _ = _app.Server; // migrations
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _infra.DisposeAsync();
    }

    [Fact]
    public Task A_change_committed_during_a_load_is_either_wholly_in_it_or_wholly_out() =>
        StatusSnapshotConsistency.A_change_committed_during_a_load_is_either_wholly_in_it_or_wholly_out(_app.Services);
}
