using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace CommsHub.Core.Data;

public sealed class PostgreSqlCommsHubDbContext(DbContextOptions<PostgreSqlCommsHubDbContext> options) : CommsHubDbContext(options)
{
    public override DatabaseProvider Provider => DatabaseProvider.PostgreSql;

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        // Half of each page is left free when a page of deliveries is written: the claim that follows changes no
        // indexed column (senders find their rows through the batch's index, not the lease token), so each row's
        // claimed version fits on its own page as a HOT update, with no entry in any of the table's indexes
        // (docs/benchmarks.md, "The one sending pipeline, before and after").
        modelBuilder.Entity<Deliveries.Delivery>().HasStorageParameter("fillfactor", 50);
    }
}

public sealed class SqliteCommsHubDbContext(DbContextOptions<SqliteCommsHubDbContext> options) : CommsHubDbContext(options)
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        base.ConfigureConventions(configurationBuilder);
        // SQLite cannot compare or order DateTimeOffset text; as UTC ticks it can (all our times are UTC).
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
    }
}

/// <summary>Used by <c>dotnet ef migrations add</c> only.</summary>
internal sealed class PostgreSqlDesignTimeFactory : IDesignTimeDbContextFactory<PostgreSqlCommsHubDbContext>
{
    public PostgreSqlCommsHubDbContext CreateDbContext(string[] args) =>
        new(DatabaseSetup.Configure(new DbContextOptionsBuilder<PostgreSqlCommsHubDbContext>(), DatabaseProvider.PostgreSql, "Host=localhost").Options);
}

/// <summary>Used by <c>dotnet ef migrations add</c> only.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteCommsHubDbContext>
{
    public SqliteCommsHubDbContext CreateDbContext(string[] args) =>
        new(DatabaseSetup.Configure(new DbContextOptionsBuilder<SqliteCommsHubDbContext>(), DatabaseProvider.Sqlite, "Data Source=design.db").Options);
}
