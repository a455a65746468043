using CommsHub.Core.Data;
using CommsHub.Testing;

namespace CommsHub.Tests.Data;

/// <summary>The attempts' migration on SQLite (the PostgreSQL one runs in the integration suite).</summary>
public sealed class AttemptMigrationTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"commshub-attempts-{Guid.NewGuid():N}.db");

    [Fact]
    public Task Attempts_written_per_delivery_read_the_same_after_the_migration() =>
        AttemptMigrationCheck.Attempts_written_per_delivery_read_the_same_after_the_migration(DatabaseProvider.Sqlite, $"Data Source={_path};Pooling=False");

    public void Dispose() => File.Delete(_path);
}
