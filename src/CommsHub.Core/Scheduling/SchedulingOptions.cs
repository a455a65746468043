namespace CommsHub.Core.Scheduling;

/// <summary><c>Scheduling:*</c>: how Hangfire runs here. The defaults suit production; tests shorten them.</summary>
public sealed class SchedulingOptions
{
    public const string Section = "Scheduling";

    /// <summary>How often the Hangfire server looks for due jobs: a scheduled message fires within about this much of its time.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Parallel Hangfire workers in a worker process. Jobs are short and wait on the database, so
    /// eight clear a backlog (the jobs that came due while the worker was down) in half the time of four.
    /// </summary>
    public int WorkerCount { get; set; } = 8;

    /// <summary>How long a stopping worker lets running jobs finish.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The PostgreSQL schema of Hangfire's tables (in CommsHub's own database).</summary>
    public string Schema { get; set; } = "hangfire";

    /// <summary>Cron expressions (five fields, or six with seconds first) of the recurring jobs, by id; "-" turns one off.</summary>
    public Dictionary<string, string> Recurring { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
