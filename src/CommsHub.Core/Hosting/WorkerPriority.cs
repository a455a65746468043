using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Hosting;

/// <summary>
/// People before the pipeline: a process that runs only the worker role (planning, sending, schedules) asks the
/// operating system for a lower CPU priority (<c>Worker:ProcessPriority</c>, default <see cref="ProcessPriorityClass.BelowNormal"/>,
/// nice 10 on Linux), so when a large fan-out keeps the machine busy an operator's publish, the console and the
/// status page, served by the API processes, still get the CPU first. The fan-out uses whatever CPU they leave.
/// A process that also serves the API keeps its priority: it would slow its own requests.
/// </summary>
public static class WorkerPriority
{
    public const string Key = "Worker:ProcessPriority";

    public static void Apply(IServiceProvider services)
    {
        var roles = services.GetRequiredService<CommsHubRoles>();
        if (roles.Api || !roles.Worker)
        {
            return;
        }
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WorkerPriority));
        var text = services.GetRequiredService<IConfiguration>()[Key];
        var wanted = ProcessPriorityClass.BelowNormal;
        if (!string.IsNullOrWhiteSpace(text) && !Enum.TryParse(text.Trim(), ignoreCase: true, out wanted))
        {
            throw new InvalidOperationException(
                $"{Key} is '{text}'; it must be one of {string.Join(", ", Enum.GetNames<ProcessPriorityClass>())}.");
        }
        try
        {
            using var process = Process.GetCurrentProcess();
            if (process.PriorityClass != wanted)
            {
                process.PriorityClass = wanted;
            }
            logger.LogInformation("Worker process priority: {Priority} ({Key})", wanted, Key);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            // Raising a priority needs a privilege the process may not have; the worker runs anyway.
            logger.LogWarning(ex, "Could not set the worker's process priority to {Priority} ({Key})", wanted, Key);
        }
    }
}
