using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Scheduling;

/// <summary>
/// At a worker's start: registers the recurring jobs (a changed schedule replaces the stored one)
/// and schedules every pending action that has no live job, which on in-memory storage is all of them.
/// </summary>
internal sealed class SchedulingStartup(IServiceScopeFactory scopes, IRecurringJobManager recurring, IOptions<SchedulingOptions> options,
    ILogger<SchedulingStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var (id, cron, call) in Housekeeping.Jobs)
        {
            var schedule = options.Value.Recurring.GetValueOrDefault(id, cron);
            if (schedule.Trim() == "-")
            {
                recurring.RemoveIfExists(id);
                logger.LogWarning("Recurring job {JobId} is turned off (Scheduling:Recurring:{JobId} = -)", id, id);
                continue;
            }
            recurring.AddOrUpdate(id, call, schedule, new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc, MisfireHandling = MisfireHandlingMode.Relaxed });
        }
        await using var scope = scopes.CreateAsyncScope();
        var scheduled = await scope.ServiceProvider.GetRequiredService<Scheduler>().ReconcileAsync(cancellationToken);
        logger.LogInformation("Scheduling ready: {Recurring} recurring jobs, {Scheduled} pending action(s) scheduled at start", Housekeeping.Jobs.Count, scheduled);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
