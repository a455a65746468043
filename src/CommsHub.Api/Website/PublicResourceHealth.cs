using CommsHub.Core.Messaging;

namespace CommsHub.Api.Website;

/// <summary>
/// Which public resources fail to build, so that each failure is logged with its error and alerted once
/// (not at every 30-second refresh), and its recovery recorded once. Recording needs the database: what
/// cannot be recorded yet stays pending and is tried again after the next rebuild.
/// </summary>
internal sealed class PublicResourceHealth(IServiceScopeFactory scopes, TimeProvider time, ILogger logger)
{
    private sealed class Failing(PublicResourceFailure failure)
    {
        public PublicResourceFailure Failure { get; } = failure;

        public bool Alerted { get; set; }
    }

    private readonly Dictionary<string, Failing> _failing = new(StringComparer.Ordinal);
    private readonly List<(string Path, DateTimeOffset Since)> _recovered = [];
    private readonly Lock _lock = new();

    /// <returns>True for a new failure, whose alert is still to be recorded.</returns>
    public bool Failed(string path, Exception error, bool servingLastGood)
    {
        lock (_lock)
        {
            if (_failing.ContainsKey(path))
            {
                logger.LogDebug(error, "{Path} still cannot be built", path);
                return false;
            }
            _failing[path] = new Failing(new PublicResourceFailure(path, error.GetType().FullName ?? error.GetType().Name, error.Message,
                time.GetUtcNow(), servingLastGood));
        }
        if (servingLastGood)
        {
            logger.LogError(error, "Could not build {Path}; serving its last good version until it builds again", path);
        }
        else
        {
            logger.LogError(error, "Could not build {Path}; it answers 503 until it builds", path);
        }
        return true;
    }

    public void Succeeded(string path)
    {
        lock (_lock)
        {
            if (_failing.Count == 0 || !_failing.Remove(path, out var failing))
            {
                return;
            }
            if (failing.Alerted)
            {
                _recovered.Add((path, failing.Failure.Since));
            }
        }
        logger.LogInformation("{Path} builds again", path);
    }

    /// <summary>Records the alerts and recoveries not recorded yet; never throws but for cancellation.</summary>
    public async Task ReportAsync(CancellationToken cancellationToken)
    {
        List<Failing> failures;
        List<(string Path, DateTimeOffset Since)> recoveries;
        lock (_lock)
        {
            failures = [.. _failing.Values.Where(f => !f.Alerted)];
            recoveries = [.. _recovered];
        }
        if (failures.Count == 0 && recoveries.Count == 0)
        {
            return;
        }
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var alerts = scope.ServiceProvider.GetRequiredService<PoisonAlerts>();
            foreach (var failing in failures)
            {
                await alerts.RecordPublicResourceFailureAsync(failing.Failure, cancellationToken);
                lock (_lock)
                {
                    failing.Alerted = true;
                    // It recovered while its alert was being recorded: the recovery is owed too.
                    if (!_failing.TryGetValue(failing.Failure.Path, out var current) || current != failing)
                    {
                        _recovered.Add((failing.Failure.Path, failing.Failure.Since));
                    }
                }
            }
            foreach (var recovery in recoveries)
            {
                await alerts.RecordPublicResourceRecoveryAsync(recovery.Path, recovery.Since, cancellationToken);
                lock (_lock)
                {
                    _recovered.Remove(recovery);
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Could not record a status page alert; trying again after the next refresh");
        }
    }
}
