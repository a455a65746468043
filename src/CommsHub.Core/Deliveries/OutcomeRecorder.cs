using System.Diagnostics;
using CommsHub.Core.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// Writes what providers answered, and keeps trying while the database is away (a restart, a failover, a
/// connection cut mid-commit): an answer left unrecorded is a request sent again once its claim lapses, so
/// a sender holds on to it for as long as its claim lasts (<see cref="LeaseOptions.Duration"/>) rather than
/// drop it at the first refusal. Each try runs in a scope of its own (a fresh context and connection); the
/// writes are conditional on the lease, so a try that did commit before its answer was lost finds nothing
/// left to do the second time. The write is never cancelled: the request it records has already been made.
/// </summary>
public sealed class OutcomeRecorder
{
    private static readonly ResiliencePropertyKey<long> Until = new("commshub.record.until");

    private readonly IServiceScopeFactory _scopes;
    private readonly TimeSpan _budget;
    private readonly ResiliencePipeline _pipeline;

    public OutcomeRecorder(IServiceScopeFactory scopes, IOptions<LeaseOptions> leases, ILogger<OutcomeRecorder> logger)
    {
        _scopes = scopes;
        _budget = leases.Value.Duration;
        _pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && DatabaseFailures.IsTransient(e)
                    && Stopwatch.GetTimestamp() < args.Context.Properties.GetValue(Until, 0L)),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
                MaxDelay = TimeSpan.FromSeconds(2),
                MaxRetryAttempts = int.MaxValue, // bounded by the time left, above
                OnRetry = args =>
                {
                    logger.LogWarning(args.Outcome.Exception, "Could not record provider answers (try {Attempt}); trying again in {Delay} while the database is away",
                        args.AttemptNumber + 1, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>Runs <paramref name="write"/> (given a fresh scope's services) until it succeeds, fails for a reason of its own, or the claim's time is up.</summary>
    public async Task RecordInScopeAsync(Func<IServiceProvider, Task> write)
    {
        var context = ResilienceContextPool.Shared.Get(CancellationToken.None);
        context.Properties.Set(Until, Stopwatch.GetTimestamp() + (long)(_budget.TotalSeconds * Stopwatch.Frequency));
        try
        {
            await _pipeline.ExecuteAsync(static async (_, state) =>
            {
                await using var scope = state._scopes.CreateAsyncScope();
                await state.write(scope.ServiceProvider);
            }, context, (_scopes, write));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>The same, with the scope's <see cref="DeliveryLeases"/>.</summary>
    public Task RecordAsync(Func<DeliveryLeases, Task> write) =>
        RecordInScopeAsync(services => write(services.GetRequiredService<DeliveryLeases>()));
}
