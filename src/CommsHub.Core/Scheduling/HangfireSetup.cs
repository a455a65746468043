using CommsHub.Core.Data;
using CommsHub.Core.Hosting;
using CommsHub.Core.Incidents;
using CommsHub.Core.Maintenances;
using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Scheduling;

/// <summary>
/// Hangfire runs everything that happens at a time. Storage is PostgreSQL (schema <c>hangfire</c> in
/// CommsHub's database) in production, in memory on the embedded default, where every pending
/// action is scheduled again from our database at start. Every role can schedule; only the worker
/// role runs the Hangfire server.
/// </summary>
public static class HangfireSetup
{
    public static IServiceCollection AddCommsHubScheduling(this IServiceCollection services, IConfiguration configuration, CommsHubRoles roles)
    {
        services.AddOptions<SchedulingOptions>().BindConfiguration(SchedulingOptions.Section)
            .Validate(o => o.PollInterval > TimeSpan.Zero, "Scheduling:PollInterval must be positive, such as 00:00:00.500.")
            .Validate(o => o.WorkerCount is > 0 and <= 100, "Scheduling:WorkerCount must be between 1 and 100.")
            .ValidateOnStart();
        services.AddOptions<OperatorOptions>().BindConfiguration(OperatorOptions.Section);
        services.AddOptions<IncidentReminderOptions>().BindConfiguration("Incidents");

        // Our own storage and activator, registered before AddHangfire (whose TryAdd then keeps
        // them): nothing reads Hangfire's static JobStorage.Current, so hosts never share one.
        services.AddSingleton<JobStorage>(sp =>
        {
            var database = sp.GetRequiredService<DatabaseInfo>();
            if (database.Provider != DatabaseProvider.PostgreSql)
            {
                return new InMemoryStorage(new InMemoryStorageOptions { MaxExpirationTime = TimeSpan.FromHours(6) });
            }
            var options = new PostgreSqlStorageOptions
            {
                SchemaName = sp.GetRequiredService<IOptions<SchedulingOptions>>().Value.Schema,
                PrepareSchemaIfNecessary = true,
                // LISTEN/NOTIFY: a job enqueued by one process wakes the workers of another at once.
                EnableLongPolling = true,
                QueuePollInterval = TimeSpan.FromSeconds(5),
                // How long the lock of a process that died (a killed worker in the middle of a recurring
                // job) blocks the others. Every job here is idempotent, and those that must never overlap
                // (the audit chain) take their own database lock, so a short expiry costs nothing.
                DistributedLockTimeout = TimeSpan.FromSeconds(20),
            };
            return new PostgreSqlStorage(new NpgsqlConnectionFactory(database.ConnectionString, options), options);
        });
        services.AddSingleton<JobActivator>(sp => new AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire((sp, c) => c
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new HangfireLogs(sp.GetRequiredService<ILoggerFactory>())));

        services.AddScoped<Scheduler>();
        services.AddScoped<ScheduledActionJob>();
        services.AddScoped<MaintenanceService>();
        services.AddSingleton<MaintenanceTexts>();
        services.AddScoped<ScheduledUpdates>();
        services.AddScoped<OperatorReminders>();
        services.AddScoped<Housekeeping>();

        if (roles.Worker)
        {
            services.AddHangfireServer((sp, o) =>
            {
                var options = sp.GetRequiredService<IOptions<SchedulingOptions>>().Value;
                o.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";
                o.SchedulePollingInterval = options.PollInterval;
                o.WorkerCount = options.WorkerCount;
                o.ShutdownTimeout = options.ShutdownTimeout;
                o.StopTimeout = TimeSpan.FromMilliseconds(500);
                // A worker that dies is known dead after three missed heartbeats, and the jobs it held are
                // scheduled again (Scheduler.ReconcileAsync). One small UPDATE per interval.
                o.HeartbeatInterval = JobLiveness.HeartbeatInterval;
            });
            services.AddHostedService<SchedulingStartup>();
        }
        return services;
    }
}
