using CommsHub.Core.Data;
using CommsHub.Testing;

namespace CommsHub.IntegrationTests;

/// <summary>The attempts' migration on PostgreSQL, on a database of its own migrated step by step.</summary>
public sealed class AttemptMigrationTests : IAsyncLifetime
{
    private Infrastructure _infra = null!;

    public async Task InitializeAsync() => _infra = await Infrastructure.CreateAsync();

    public Task DisposeAsync() => _infra.DisposeAsync().AsTask();

    [Fact]
    public Task Attempts_written_per_delivery_read_the_same_after_the_migration() =>
        AttemptMigrationCheck.Attempts_written_per_delivery_read_the_same_after_the_migration(DatabaseProvider.PostgreSql, _infra.PostgresConnectionString);
}
