using CommsHub.Core.Deliveries;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Data;

public static class DatabaseSetup
{
    public const string DefaultSqliteConnectionString = "Data Source=commshub.db";

    public static DatabaseProvider ReadProvider(IConfiguration configuration)
    {
        var text = configuration["Database:Provider"];
        if (string.IsNullOrWhiteSpace(text))
        {
            return DatabaseProvider.Sqlite;
        }
        return Enum.TryParse<DatabaseProvider>(text, ignoreCase: true, out var provider)
            ? provider
            : throw new InvalidOperationException($"Database:Provider is '{text}'; it must be 'Sqlite' or 'PostgreSql'.");
    }

    public static IServiceCollection AddCommsHubDatabase(this IServiceCollection services, IConfiguration configuration)
    {
        var provider = ReadProvider(configuration);
        var connectionString = configuration.GetConnectionString("CommsHub");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            connectionString = provider == DatabaseProvider.Sqlite
                ? DefaultSqliteConnectionString
                : throw new InvalidOperationException("ConnectionStrings:CommsHub is required when Database:Provider is PostgreSql.");
        }

        if (provider == DatabaseProvider.PostgreSql)
        {
            connectionString = Tune(connectionString);
            services.AddDbContext<PostgreSqlCommsHubDbContext>(o => Configure(o, provider, connectionString));
            services.AddScoped<CommsHubDbContext>(sp => sp.GetRequiredService<PostgreSqlCommsHubDbContext>());
        }
        else
        {
            services.AddDbContext<SqliteCommsHubDbContext>(o => Configure(o, provider, connectionString));
            services.AddScoped<CommsHubDbContext>(sp => sp.GetRequiredService<SqliteCommsHubDbContext>());
        }
        services.AddSingleton(new DatabaseInfo(provider, connectionString));
        services.AddScoped<Subscribers.ISubscriberBulkWriter>(sp => provider == DatabaseProvider.PostgreSql
            ? new Subscribers.PostgreSqlSubscriberBulkWriter(sp.GetRequiredService<CommsHubDbContext>())
            : new Subscribers.SqliteSubscriberBulkWriter(sp.GetRequiredService<CommsHubDbContext>()));
        services.AddScoped<IDeliveryWriter>(sp => provider == DatabaseProvider.PostgreSql
            ? new PostgreSqlDeliveryWriter(sp.GetRequiredService<CommsHubDbContext>())
            : new SqliteDeliveryWriter(sp.GetRequiredService<CommsHubDbContext>()));
        return services;
    }

    public static DbContextOptionsBuilder<T> Configure<T>(DbContextOptionsBuilder<T> builder, DatabaseProvider provider, string connectionString)
        where T : DbContext
    {
        Configure((DbContextOptionsBuilder)builder, provider, connectionString);
        return builder;
    }

    /// <summary>
    /// Npgsql resets every pooled connection (DISCARD ALL, one more round trip and transaction) when
    /// it is returned. CommsHub keeps no session state (no temporary tables, SET or session locks), so
    /// the reset is skipped unless the connection string asks for it.
    /// </summary>
    internal static string Tune(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Reset", StringComparison.OrdinalIgnoreCase))
        {
            builder.NoResetOnClose = true;
        }
        return builder.ConnectionString;
    }

    public static void Configure(DbContextOptionsBuilder builder, DatabaseProvider provider, string connectionString)
    {
        if (provider == DatabaseProvider.PostgreSql)
        {
            builder.UseNpgsql(connectionString, o => o.MigrationsAssembly(typeof(DatabaseSetup).Assembly.GetName().Name));
        }
        else
        {
            builder.UseSqlite(connectionString, o => o.MigrationsAssembly(typeof(DatabaseSetup).Assembly.GetName().Name));
        }
        builder.UseSnakeCaseNamingConvention();
    }

    /// <summary>Applies pending migrations; EF Core takes a database lock so concurrent starts are safe.</summary>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DatabaseSetup));
        // MigrateAsync checks for the history table before reading it (GetPendingMigrations would log
        // a failed query on a new database) and takes EF's migration lock.
        logger.LogInformation("Bringing the {Provider} database up to date", db.Provider);
        await db.Database.MigrateAsync(cancellationToken);
        if (db.Provider == DatabaseProvider.Sqlite)
        {
            // WAL lets the website read while the planner writes; the setting persists in the file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
    }
}

public sealed record DatabaseInfo(DatabaseProvider Provider, string ConnectionString);
