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

    /// <summary>Connect time-out applied when the connection string sets none (Npgsql's own is 15 s).</summary>
    public const int DefaultConnectTimeoutSeconds = 3;

    /// <summary>Command time-out applied when the connection string sets none (Npgsql's own is 30 s).</summary>
    public const int DefaultCommandTimeoutSeconds = 5;

    /// <summary>
    /// Npgsql resets every pooled connection (DISCARD ALL, one more round trip and transaction) when
    /// it is returned. CommsHub keeps no session state (no temporary tables, SET or session locks), so
    /// the reset is skipped unless the connection string asks for it.
    /// <para>
    /// A database behind a network that drops packets answers nothing: without short time-outs an API
    /// call waits out Npgsql's 15 s connect / 30 s command time-outs (or the OS's TCP retries) before it
    /// can say 503. A command that times out costs the command time-out plus up to two connect time-outs
    /// (Npgsql opens a second connection to send PostgreSQL a cancel request and waits for it), so the
    /// defaults are 3 s to connect and 5 s per command: a new connection fails in 3 s, a pooled one in
    /// about 11 s. CommsHub's statements answer in milliseconds and long work is paged; an operator's
    /// <c>Timeout</c> or <c>Command Timeout</c> in the connection string wins. Migrations lift the
    /// command time-out for themselves (<see cref="MigrateAsync"/>).
    /// </para>
    /// </summary>
    internal static string Tune(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Reset", StringComparison.OrdinalIgnoreCase))
        {
            builder.NoResetOnClose = true;
        }
        var keys = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys
            .Cast<string>().Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()).ToHashSet();
        if (!keys.Overlaps(["timeout", "connecttimeout", "connectiontimeout"]))
        {
            builder.Timeout = DefaultConnectTimeoutSeconds;
        }
        if (!keys.Contains("commandtimeout"))
        {
            builder.CommandTimeout = DefaultCommandTimeoutSeconds;
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
        // A migration may rewrite a large table, or wait for another process's migration lock.
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));
        await db.Database.MigrateAsync(cancellationToken);
        if (db.Provider == DatabaseProvider.Sqlite)
        {
            // WAL lets the website read while the planner writes; the setting persists in the file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
    }
}

public sealed record DatabaseInfo(DatabaseProvider Provider, string ConnectionString);
