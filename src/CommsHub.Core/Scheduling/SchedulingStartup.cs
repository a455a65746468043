using Hangfire;
using Hangfire.Common;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Scheduling;

/// <summary>
/// At a worker's start: registers the recurring jobs (a changed schedule replaces the stored one)
/// and schedules every pending action that has no live job, which on in-memory storage is all of them.
/// </summary>
/// <remarks>
/// A recurring job whose stored definition is already the wanted one is left alone: writing it takes
/// Hangfire's lock on that job, and a worker that was killed while running it holds that lock until
/// it expires, which would stop the restarted worker from starting at all. A change that cannot take
/// the lock yet is retried in the background instead.
/// </remarks>
internal sealed class SchedulingStartup(IServiceScopeFactory scopes, IRecurringJobManager recurring, JobStorage storage,
    IOptions<SchedulingOptions> options, ILogger<SchedulingStartup> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var waiting = RegisterRecurringJobs();
        if (waiting.Count > 0)
        {
            _ = RetryLaterAsync(waiting);
        }
        await using var scope = scopes.CreateAsyncScope();
        var scheduled = await scope.ServiceProvider.GetRequiredService<Scheduler>().ReconcileAsync(all: true, cancellationToken);
        logger.LogInformation("Scheduling ready: {Recurring} recurring jobs, {Scheduled} pending action(s) scheduled at start", Housekeeping.Jobs.Count, scheduled);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _stopping.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // A host disposed before it was stopped: nothing left to stop.
        }
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>Brings the stored recurring jobs in line with <see cref="Housekeeping.Jobs"/>; returns the ids it could not write yet.</summary>
    private List<string> RegisterRecurringJobs(List<string>? only = null)
    {
        Dictionary<string, RecurringJobDto> stored;
        using (var connection = storage.GetConnection())
        {
            stored = connection.GetRecurringJobs().ToDictionary(j => j.Id, StringComparer.Ordinal);
        }
        var waiting = new List<string>();
        foreach (var (id, cron, call) in Housekeeping.Jobs.Where(j => only is null || only.Contains(j.Id)))
        {
            var schedule = options.Value.Recurring.GetValueOrDefault(id, cron).Trim();
            var current = stored.GetValueOrDefault(id);
            try
            {
                if (schedule == "-")
                {
                    if (current is not null)
                    {
                        recurring.RemoveIfExists(id);
                    }
                    logger.LogWarning("Recurring job {JobId} is turned off (Scheduling:Recurring:{JobId} = -)", id, id);
                    continue;
                }
                var job = Job.FromExpression(call);
                if (current is { Removed: false } && current.Cron == schedule && current.Job?.Type == job.Type && current.Job?.Method == job.Method)
                {
                    continue;
                }
                recurring.AddOrUpdate(id, call, schedule, new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc, MisfireHandling = MisfireHandlingMode.Relaxed });
            }
            catch (Exception ex) when (ex is DistributedLockTimeoutException or Hangfire.PostgreSql.PostgreSqlDistributedLockException)
            {
                logger.LogWarning("Recurring job {JobId} could not be updated yet: its lock is held (by a worker that stopped abruptly?); retrying", id);
                waiting.Add(id);
            }
        }
        return waiting;
    }

    private async Task RetryLaterAsync(List<string> waiting)
    {
        while (waiting.Count > 0 && !_stopping.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(10), _stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            try
            {
                waiting = RegisterRecurringJobs(waiting);
            }
            catch (Exception ex) when (!_stopping.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Registering recurring jobs failed; retrying");
            }
        }
    }
}
